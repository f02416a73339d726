// The server from gin-gonic/gin#3789 ("Memory Leak in Gin K8s deployment"), as written in the
// report. Only the listen address is configurable (-addr flag or LISTEN_ADDR), so that tests
// can pick a free port; everything else is kept as reported so the leak reproduces.
package main

import (
	"flag"
	"net/http"
	_ "net/http/pprof"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	defaultAddr := os.Getenv("LISTEN_ADDR")
	if defaultAddr == "" {
		defaultAddr = ":8080"
	}
	addr := flag.String("addr", defaultAddr, "listen address (host:port)")
	flag.Parse()

	r := gin.New()
	r.GET("/health_check", func(c *gin.Context) {
		c.String(200, "Hello World!")
	})
	r.GET("/debug/pprof", gin.WrapH(http.DefaultServeMux))
	r.GET("/debug/pprof/:pprofType", gin.WrapH(http.DefaultServeMux))
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))

	if err := r.Run(*addr); err != nil {
		panic(err)
	}
}
