# leakbench's startup hook for a Python target the pack starts: placed first on PYTHONPATH, it
# answers the pack on a Unix socket in $LEAKBENCH_PYHOOK_DIR with the interpreter's own heap
# figures ('read', 'collect'). With $LEAKBENCH_PYHOOK_TRACE (unless --sites off) it also traces
# allocations from the start (tracemalloc, one frame: the cheapest setting, still several times
# the CPU per allocation) and answers with the live memory by allocating line ('sites').
# Nothing in the target's code changes. A user's own sitecustomize further down the path still runs.
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

    if os.environ.get("LEAKBENCH_PYHOOK_TRACE") and not tracemalloc.is_tracing():
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
        out = {
            "pyAllocatedBlocks": sys.getallocatedblocks(),
            "pyGcCollections": sum(s.get("collections", 0) for s in gc.get_stats()),
        }
        if tracemalloc.is_tracing():
            out["pyTracedBytes"] = tracemalloc.get_traced_memory()[0]
        if collected is not None:
            out["collected"] = collected
        return out

    def serve():
        while True:
            conn, _ = server.accept()
            try:
                with conn:
                    request = conn.makefile("r").readline().strip()
                    if request == "sites":
                        _leakbench_answer_sites(conn, directory)
                        continue
                    answer = figures(gc.collect() if request == "collect" else None)
                    conn.sendall((json.dumps(answer) + "\n").encode())
            except Exception:
                pass

    threading.Thread(target=serve, name="leakbench-hook", daemon=True).start()


_LEAKBENCH_MAX_SITES = 200
# A snapshot's pickle takes about 40 bytes a trace: past this many it is not kept.
_LEAKBENCH_MAX_DUMPED_TRACES = 1000000
_leakbench_scopes = {}
_leakbench_sequence = [0]


def _leakbench_answer_sites(conn, directory):
    # The snapshot, its grouping and the naming of lines allocate tens of MiB for a large heap,
    # which CPython's allocator would keep: done in the target's process, it would show as RSS
    # the load never left. A forked child does it on a copy of the heap and exits.
    import json

    pid = os.fork() if hasattr(os, "fork") else -1
    if pid == 0:
        try:
            conn.sendall((json.dumps(_leakbench_sites(directory, forked=True)) + "\n").encode())
        finally:
            os._exit(0)
    if pid < 0:
        conn.sendall((json.dumps(_leakbench_sites(directory)) + "\n").encode())
        return
    os.waitpid(pid, 0)


def _leakbench_sites(directory, forked=False):
    # Live memory by the line that allocated it: tracemalloc's statistics by 'lineno', largest
    # first, each named "function (path:line)"; the snapshot itself is dumped beside the socket
    # for the pack to keep (tracemalloc.Snapshot.load reads it back).
    import tracemalloc

    # Imported before the snapshot, so that the modules the naming below needs are already in
    # the first one, and never look like growth of the target's.
    import array  # noqa: F401
    import ast  # noqa: F401

    if not tracemalloc.is_tracing():
        return {"unavailable": "tracemalloc is not tracing (the target stopped it)"}
    here = os.path.abspath(__file__)
    snapshot = tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, here))
    )
    if forked:
        # The child's copy of the traces is no longer needed; untraced, the naming runs at full speed.
        tracemalloc.stop()
    stats = snapshot.statistics("lineno")
    answer = {
        "sites": [],
        "totalBytes": sum(s.size for s in stats),
        "totalObjects": sum(s.count for s in stats),
        "frames": tracemalloc.get_traceback_limit(),
        "traces": len(snapshot.traces),
    }
    for stat in stats[:_LEAKBENCH_MAX_SITES]:
        frame = stat.traceback[0]
        answer["sites"].append(
            {"site": _leakbench_site_name(frame.filename, frame.lineno), "bytes": stat.size, "objects": stat.count}
        )
    if answer["traces"] <= _LEAKBENCH_MAX_DUMPED_TRACES:
        _leakbench_sequence[0] += 1
        path = os.path.join(directory, "sites-%d-%d.pickle" % (os.getpid(), _leakbench_sequence[0]))
        snapshot.dump(path)
        answer["raw"] = path
    return answer


def _leakbench_site_name(filename, lineno):
    scope = _leakbench_scope(filename, lineno)
    return "%s (%s:%d)" % (scope, _leakbench_short_path(filename), lineno)


def _leakbench_short_path(filename):
    # As an import names it: relative to the longest sys.path entry that holds it.
    if filename.startswith("<"):
        return filename
    filename = os.path.abspath(filename)
    best = ""
    for entry in sys.path:
        entry = os.path.abspath(entry or ".")
        if filename.startswith(entry + os.sep) and len(entry) > len(best):
            best = entry
    return filename[len(best) + 1 :] if best else filename


def _leakbench_scope(filename, lineno):
    # The innermost function or class whose lines hold lineno, from the file's syntax tree
    # (parsed once per file): tracemalloc records file and line, not the function. What is
    # cached is built here (this file's allocations are filtered out of every snapshot), never
    # the parser's own objects, which would show up as a site of their own.
    spans = _leakbench_scopes.get(filename)
    if spans is None:
        spans = _leakbench_spans(filename)
        _leakbench_scopes[filename] = spans
    starts, ends, names = spans
    inner = -1
    for i in range(len(starts)):
        if starts[i] <= lineno <= ends[i] and (inner < 0 or starts[i] >= starts[inner]):
            inner = i
    return names[inner].decode() if inner >= 0 else "<module>"


def _leakbench_spans(filename):
    import array

    starts, ends, names = array.array("i"), array.array("i"), []
    if filename.startswith("<"):
        return starts, ends, names
    try:
        import ast

        with open(filename, "rb") as f:
            tree = ast.parse(f.read(), filename)
        stack = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                name = prefix
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + "." + child.name if prefix else child.name
                    starts.append(child.lineno)
                    ends.append(getattr(child, "end_lineno", child.lineno))
                    names.append(name.encode())
                stack.append((child, name))
    except Exception:
        pass
    return starts, ends, names


_leakbench_dir = os.environ.get("LEAKBENCH_PYHOOK_DIR")
if _leakbench_dir and os.path.isdir(_leakbench_dir):
    try:
        _leakbench_start(_leakbench_dir)
    except Exception as _err:
        sys.stderr.write("leakbench hook: not started: %r\n" % (_err,))
_leakbench_chain()
