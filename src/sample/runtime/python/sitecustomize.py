# leakbench's startup hook for a Python target the pack starts: placed first on PYTHONPATH,
# it traces allocations (tracemalloc, one frame: the cheapest setting) and answers the pack on a
# Unix socket in $LEAKBENCH_PYHOOK_DIR with the interpreter's own heap figures. Nothing in the
# target's code changes. A user's own sitecustomize further down the path still runs.
import os
import sys


def _leakbench_chain():
    # Run the sitecustomize this one shadows (a user's, a distribution's), as if it were first.
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        import importlib.machinery
        import importlib.util

        rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)
    except Exception as err:  # theirs failing must not look like ours
        sys.stderr.write("leakbench hook: the sitecustomize after it failed: %r\n" % (err,))


def _leakbench_start(directory):
    import gc
    import json
    import socket
    import threading
    import tracemalloc

    if not tracemalloc.is_tracing():
        tracemalloc.start(1)
    path = os.path.join(directory, "py-%d.sock" % os.getpid())
    try:
        os.unlink(path)
    except OSError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)

    def figures(collected):
        current, _peak = tracemalloc.get_traced_memory()
        out = {
            "pyTracedBytes": current,
            "pyAllocatedBlocks": sys.getallocatedblocks(),
            "pyGcCollections": sum(s.get("collections", 0) for s in gc.get_stats()),
        }
        if collected is not None:
            out["collected"] = collected
        return out

    def serve():
        while True:
            conn, _ = server.accept()
            try:
                with conn:
                    request = conn.makefile("r").readline().strip()
                    answer = figures(gc.collect() if request == "collect" else None)
                    conn.sendall((json.dumps(answer) + "\n").encode())
            except Exception:
                pass

    threading.Thread(target=serve, name="leakbench-hook", daemon=True).start()


_leakbench_dir = os.environ.get("LEAKBENCH_PYHOOK_DIR")
if _leakbench_dir and os.path.isdir(_leakbench_dir):
    try:
        _leakbench_start(_leakbench_dir)
    except Exception as _err:
        sys.stderr.write("leakbench hook: not started: %r\n" % (_err,))
_leakbench_chain()
