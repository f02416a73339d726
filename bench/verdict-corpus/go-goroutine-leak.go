// what: Go net/http server that starts a goroutine every 10th request, blocked forever on a
// channel nobody sends to (a forgotten worker), each holding its stack.
// behaviour: tasks
// expect: growth
// accept: growth
// leak: 1 goroutine per 10 requests
package main

import (
	"net/http"
	"os"
	"sync/atomic"
)

var served atomic.Int64

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%10 == 0 {
			never := make(chan struct{})
			go func() { <-never }()
		}
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
