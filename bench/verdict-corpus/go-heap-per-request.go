// what: Go net/http server that keeps 1 KiB per request in a global slice and never frees it.
// behaviour: heap per request
// expect: growth
// accept: growth
// leak: 1 KiB per request
// quick: yes
package main

import (
	"net/http"
	"os"
	"sync"
)

var (
	mu   sync.Mutex
	kept [][]byte
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 1024)
		for i := range b {
			b[i] = byte(i)
		}
		mu.Lock()
		kept = append(kept, b)
		mu.Unlock()
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
