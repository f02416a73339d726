// what: Go net/http server with an LRU of 2,000 entries of 4 KiB (container/list), keyed by
// request number, so it is full after the first 2,000 requests and evicts from then on; each
// request also makes 4 KiB of garbage.
// behaviour: cache early
// expect: bounded
// accept: bounded, stable
package main

import (
	"container/list"
	"net/http"
	"os"
	"sync"
)

const capacity = 2000

type entry struct {
	key   int
	value []byte
}

var (
	mu     sync.Mutex
	order  = list.New()
	index  = map[int]*list.Element{}
	served int
	sink   []byte
)

func put(key int, value []byte) {
	index[key] = order.PushFront(&entry{key, value})
	if order.Len() > capacity {
		oldest := order.Back()
		order.Remove(oldest)
		delete(index, oldest.Value.(*entry).key)
	}
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v := make([]byte, 4096)
		for i := range v {
			v[i] = byte(i)
		}
		sink = make([]byte, 4096)
		mu.Lock()
		served++
		put(served, v)
		mu.Unlock()
		w.Write([]byte("ok\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
