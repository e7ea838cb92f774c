// Command tug-hello is the program of tug's built-in hello-world image: a
// tiny static binary (CGO_ENABLED=0 -ldflags '-s -w') that prints a greeting.
package main

import "os"

const msg = `
Hello from tug!
This message shows that your installation appears to be working correctly.

To generate this message, tug took the following steps:
 1. The tug client contacted the tug daemon.
 2. The tug daemon found the built-in "hello-world" image.
 3. The tug daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The tug daemon streamed that output to the tug client, which sent it
    to your terminal.

To try something more ambitious, you can run a busybox container with:
 $ tug run -it busybox sh

`

func main() {
	if _, err := os.Stdout.WriteString(msg); err != nil {
		os.Exit(1)
	}
}
