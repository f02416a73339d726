// what: Go net/http server that keeps 64 KiB for every new connection (a per-connection
// session never dropped): the soak's probes, a new connection each, leak it at rest too.
// behaviour: per connection
// expect: growth
// accept: growth
// leak: 64 KiB per connection
package main

import (
	"net"
	"net/http"
	"os"
	"sync"
)

var (
	mu   sync.Mutex
	kept [][]byte
)

func main() {
	server := &http.Server{
		Addr: "127.0.0.1:" + os.Args[1],
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("ok\n"))
		}),
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state != http.StateNew {
				return
			}
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = byte(i)
			}
			mu.Lock()
			kept = append(kept, b)
			mu.Unlock()
		},
	}
	server.ListenAndServe()
}
