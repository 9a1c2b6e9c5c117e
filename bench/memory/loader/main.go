// loader puts the same N entries into a memgrid or Hazelcast member (through
// the official Go client), a Redis server or a memcached server, for
// bench/memory/run.sh to measure what holding them costs.
//
// The data: key i is the 16-character string "key-%012d", value i is 100
// bytes derived from i. Members receive them as the Go client serializes
// them (a 28-byte key, a 112-byte value: 8-byte Data header, 4-byte length,
// the bytes); Redis and memcached receive exactly those serialized bytes as
// key and value, so every server holds the same 140 bytes per entry.
//
// Protocol with the script, one line each on stdout / stdin, so that the
// server's memory is read while the connections are still open:
//
//	loader prints "ready" once connected      -> script reads the baseline, writes a line
//	loader loads, prints "loaded N"           -> script reads the figures, writes a line
//	loader exits
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

const (
	typeString    = -11
	typeByteArray = -12
	valueLen      = 100
)

func keyText(i int) string { return fmt.Sprintf("key-%012d", i) }

func value(i int) []byte {
	v := make([]byte, valueLen)
	x := uint32(i)*2654435761 + 1
	for j := range v {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		v[j] = byte(x)
	}
	return v
}

// data is the Go client's serialized form: partition hash 0, type id and
// length big-endian, then the bytes.
func data(typeID int32, payload []byte) []byte {
	b := make([]byte, 12+len(payload))
	binary.BigEndian.PutUint32(b[4:], uint32(typeID))
	binary.BigEndian.PutUint32(b[8:], uint32(len(payload)))
	copy(b[12:], payload)
	return b
}

func main() {
	target := flag.String("target", "", "member | redis | memcached")
	addr := flag.String("addr", "127.0.0.1:5701", "server address")
	cluster := flag.String("cluster", "dev", "cluster name (member)")
	mapName := flag.String("map", "memory-bench", "map name (member)")
	n := flag.Int("n", 1000000, "entries")
	workers := flag.Int("workers", 4, "concurrent writers")
	batch := flag.Int("batch", 1000, "entries per PutAll / pipeline")
	flag.Parse()

	in := bufio.NewReader(os.Stdin)
	var load func() error
	switch *target {
	case "member":
		load = memberLoader(*addr, *cluster, *mapName, *n, *workers, *batch)
	case "redis":
		load = pipeLoader(*addr, *n, *workers, *batch, redisSet, redisCheck)
	case "memcached":
		ender = func(w *bufio.Writer) { w.WriteString("mn\r\n") }
		load = pipeLoader(*addr, *n, *workers, *batch, memcachedSet, memcachedCheck)
	default:
		fail(fmt.Errorf("-target must be member, redis or memcached"))
	}
	fmt.Println("ready")
	in.ReadString('\n')
	start := time.Now()
	if err := load(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "loader: %d entries in %.1f s\n", *n, time.Since(start).Seconds())
	fmt.Printf("loaded %d\n", *n)
	in.ReadString('\n')
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loader:", err)
	os.Exit(1)
}

// ranges hands out [from, to) batches of the n entries to the workers.
func ranges(n, batch, workers int, work func(worker, from, to int) error) error {
	var next int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k <= n/batch+1; k++ {
				from := int(atomic.AddInt64(&next, int64(batch))) - batch
				if from >= n {
					return
				}
				to := from + batch
				if to > n {
					to = n
				}
				if err := work(w, from, to); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func memberLoader(addr, cluster, mapName string, n, workers, batch int) func() error {
	cfg := hazelcast.Config{}
	cfg.Cluster.Name = cluster
	cfg.Cluster.Network.SetAddresses(addr)
	cfg.Cluster.Unisocket = true
	cfg.Logger.Level = "error"
	ctx := context.Background()
	c, err := hazelcast.StartNewClientWithConfig(ctx, cfg)
	if err != nil {
		fail(err)
	}
	mp, err := c.GetMap(ctx, mapName)
	if err != nil {
		fail(err)
	}
	return func() error {
		return ranges(n, batch, workers, func(_, from, to int) error {
			entries := make([]types.Entry, 0, to-from)
			for i := from; i < to; i++ {
				entries = append(entries, types.NewEntry(keyText(i), value(i)))
			}
			return mp.PutAll(ctx, entries...)
		})
	}
}

// A pipelined text-protocol loader: each worker has its own connection,
// writes a batch of commands, then reads the batch's replies.
func pipeLoader(addr string, n, workers, batch int,
	set func(w *bufio.Writer, k, v []byte), check func(r *bufio.Reader, count int) error) func() error {
	type conn struct {
		w *bufio.Writer
		r *bufio.Reader
	}
	conns := make([]conn, workers)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fail(err)
		}
		conns[i] = conn{bufio.NewWriterSize(c, 256<<10), bufio.NewReaderSize(c, 64<<10)}
	}
	return func() error {
		return ranges(n, batch, workers, func(worker, from, to int) error {
			c := conns[worker]
			for i := from; i < to; i++ {
				set(c.w, data(typeString, []byte(keyText(i))), data(typeByteArray, value(i)))
			}
			if ender != nil {
				ender(c.w)
			}
			if err := c.w.Flush(); err != nil {
				return err
			}
			return check(c.r, to-from)
		})
	}
}

// ender, when set, closes each batch (memcached's mn).
var ender func(w *bufio.Writer)

func redisSet(w *bufio.Writer, k, v []byte) {
	fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n", len(k))
	w.Write(k)
	fmt.Fprintf(w, "\r\n$%d\r\n", len(v))
	w.Write(v)
	w.WriteString("\r\n")
}

func redisCheck(r *bufio.Reader, count int) error {
	for i := 0; i < count; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line != "+OK\r\n" {
			return fmt.Errorf("redis answered %q", strings.TrimSpace(line))
		}
	}
	return nil
}

// memcached's meta protocol takes binary keys base64-encoded (flag b) and
// stores the decoded bytes; flag q keeps successes silent, and the batch
// ends with mn, answered MN.
func memcachedSet(w *bufio.Writer, k, v []byte) {
	fmt.Fprintf(w, "ms %s %d b q\r\n", base64.StdEncoding.EncodeToString(k), len(v))
	w.Write(v)
	w.WriteString("\r\n")
}

func memcachedCheck(r *bufio.Reader, count int) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "MN\r\n" {
		return fmt.Errorf("memcached answered %q", strings.TrimSpace(line))
	}
	return nil
}
