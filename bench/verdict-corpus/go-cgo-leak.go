// what: Go net/http server that mallocs 1 KiB per request in C (cgo), touches it and never
// frees it: memory neither the Go heap nor Go sys accounts for.
// behaviour: native
// expect: growth
// accept: growth
// leak: 1 KiB per request
package main

// #include <stdlib.h>
// #include <string.h>
// static void *volatile last;
// static void leak(int n) { char *p = malloc(n); if (p) memset(p, 1, n); last = p; }
import "C"

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		C.leak(1024)
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
