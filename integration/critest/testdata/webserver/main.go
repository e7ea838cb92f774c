// webserver stands in for the nginx and httpd test images: it serves a
// directory over HTTP, writes its pid to a file (nginx's pid file), says
// its name in its log, and exits on SIGTERM (also as a container's pid 1).
// Installed as /usr/sbin/nginx, `pidof nginx` finds it.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	port := flag.Int("port", 80, "TCP port")
	root := flag.String("root", "/usr/share/nginx/html", "directory served")
	pidFile := flag.String("pid-file", "", "file to write the pid to")
	name := flag.String("name", "nginx", "name in the log")
	flag.Parse() // further arguments (e.g. "master process") only show in the cmdline
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; os.Exit(0) }()
	fmt.Printf("%s: serving %s on port %d\n", *name, *root, *port)
	if err := http.ListenAndServe(":"+strconv.Itoa(*port), http.FileServer(http.Dir(*root))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
