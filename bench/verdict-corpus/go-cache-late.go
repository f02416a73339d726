// what: Go net/http server whose cache admits every request's 512-byte result until it holds
// 150,000 entries, then admits nothing: full three quarters into the first burst of the soak
// (200,000 requests), and no larger after.
// behaviour: cache late
// expect: bounded
// accept: bounded
// quick: yes
package main

import (
	"net/http"
	"os"
	"sync"
)

const capacity = 150_000

var (
	mu     sync.Mutex
	cache  = map[int][]byte{}
	served int
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		if len(cache) < capacity {
			v := make([]byte, 512)
			for i := range v {
				v[i] = byte(served + i)
			}
			cache[served] = v
		}
		mu.Unlock()
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
