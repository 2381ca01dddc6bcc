// Command qops-ferretdb runs FerretDB 1.x with its SQLite backend, embedded as a library.
//
// Built as a wrapper module because `go install .../cmd/ferretdb@v1.24.2` panics at start:
// build/version/version.txt is not part of the published module, and the version check only
// runs when FerretDB is the main module.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "existing directory for the SQLite files")
	watchStdin := flag.Bool("watch-stdin", false, "exit when standard input closes (the parent died)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		// A parent killed with SIGKILL cannot stop us; its end of the pipe closing can.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	// MongoDBURI blocks until the listener is bound, so with port 0 this prints the real port.
	// The parent process waits for this line before connecting.
	fmt.Printf("ready %s\n", f.MongoDBURI())
	<-done
}
