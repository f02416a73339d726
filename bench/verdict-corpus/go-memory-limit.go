// what: Go net/http server with the collector off (GOGC=off) and a soft memory limit of
// 96 MiB (debug.SetMemoryLimit), making 16 KiB of garbage per request: the heap climbs to the
// limit and the runtime collects there, so RSS rises to about 96 MiB and holds, keeping nothing.
// behaviour: memory limit
// expect: bounded
// accept: bounded, stable
package main

import (
	"net/http"
	"os"
	"runtime/debug"
)

var sink []byte

func main() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(96 << 20)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 16<<10)
		for i := 0; i < len(b); i += 512 {
			b[i] = byte(i)
		}
		sink = b
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
