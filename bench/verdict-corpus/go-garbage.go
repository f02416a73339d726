// what: Go net/http server that builds 64 KiB of garbage per request (a response it encodes
// and drops) and keeps nothing: the heap swings with every collection, nothing is retained.
// behaviour: garbage
// expect: stable
// accept: stable, bounded
package main

import (
	"encoding/hex"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		raw := make([]byte, 32<<10)
		for i := range raw {
			raw[i] = byte(i)
		}
		encoded := hex.EncodeToString(raw)
		w.Write([]byte{'o', 'k', encoded[0], '\n'})
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
