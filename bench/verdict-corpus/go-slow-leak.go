// what: Go net/http server that keeps 16 KiB every minute from a timer, load or not (a
// history nobody trims): about 1 MiB an hour, the smallest leak to detect.
// behaviour: slow
// expect: growth
// accept: growth
// leak: 16 KiB per minute
package main

import (
	"net/http"
	"os"
	"sync"
	"time"
)

var (
	mu   sync.Mutex
	kept [][]byte
)

func main() {
	go func() {
		// 1 KiB every 3.75 s is 16 KiB a minute, in steps small enough to look like a line.
		for range time.Tick(3750 * time.Millisecond) {
			b := make([]byte, 1024)
			for i := range b {
				b[i] = byte(i)
			}
			mu.Lock()
			kept = append(kept, b)
			mu.Unlock()
		}
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
