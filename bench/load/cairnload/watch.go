package main

// The watch workloads. Both open --clients watchers spread over --streams
// Watch streams (clientv3 opens one gRPC stream per distinct outgoing
// metadata, so each stream gets its own) on --conns connections, wait
// until every watcher is created, then write:
//
//	watch-latency     one writer puts one key --writes times, one put
//	                  every --interval; every watcher watches that key.
//	                  p50/p99: from issuing the put to the event reaching
//	                  a watcher; ack_p50/ack_p99: from the put's
//	                  acknowledgement to the event (0 when the event came
//	                  first).
//	watch-throughput  --writers concurrent writers put --writes distinct
//	                  keys under a prefix as fast as they can; every
//	                  watcher watches the prefix. ops_per_sec: events
//	                  delivered per second to all watchers together, from
//	                  the first put to the last delivery; p50/p99: put
//	                  issued to delivery, per event.
//
// Every watcher must get every write once and in revision order; a
// missing, repeated or reordered event counts as an error.

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"google.golang.org/grpc/metadata"
)

type watchConfig struct {
	op       string
	watchers int
	streams  int
	writes   int
	writers  int
	interval time.Duration
	valSize  int
	timeout  time.Duration
	label    string
}

// A value carries the time its put was issued and the write's index.
func watchValue(n int, size int) []byte {
	b := make([]byte, max(16, size))
	binary.BigEndian.PutUint64(b[0:8], uint64(time.Now().UnixNano()))
	binary.BigEndian.PutUint64(b[8:16], uint64(n))
	for i := 16; i < len(b); i++ {
		b[i] = 'v'
	}
	return b
}

func runWatch(cs []*clientv3.Client, cfg watchConfig) {
	if cfg.streams < 1 {
		cfg.streams = len(cs)
	}
	prefix := fmt.Sprintf("cairnload-watch/%d/", time.Now().UnixNano())
	key := prefix + "k"
	var opts []clientv3.OpOption
	opts = append(opts, clientv3.WithCreatedNotify())
	watchKey := key
	if cfg.op == "watch-throughput" {
		watchKey = prefix
		opts = append(opts, clientv3.WithPrefix())
	}

	base, stop := context.WithCancel(context.Background())
	defer stop()
	chans := make([]clientv3.WatchChan, cfg.watchers)
	for w := range chans {
		s := w % cfg.streams
		ctx := metadata.AppendToOutgoingContext(base, "cairnload-stream",
			strconv.Itoa(s))
		chans[w] = cs[s%len(cs)].Watch(ctx, watchKey, opts...)
	}
	for w, ch := range chans {
		select {
		case resp, ok := <-ch:
			if !ok || !resp.Created {
				fail("watcher %d not created: %v", w, resp.Err())
			}
		case <-time.After(30 * time.Second):
			fail("watcher %d not created within 30 s", w)
		}
	}

	ackAt := make([]int64, cfg.writes) // UnixNano of each put's ack.
	lat := make([][]time.Duration, cfg.watchers)
	afterAck := make([][]time.Duration, cfg.watchers)
	var errs int64
	var firstErr atomic.Value
	bad := func(format string, args ...interface{}) {
		atomic.AddInt64(&errs, 1)
		firstErr.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	var lastDelivery int64 // UnixNano, max over watchers.
	var done sync.WaitGroup
	for w, ch := range chans {
		done.Add(1)
		go func(w int, ch clientv3.WatchChan) {
			defer done.Done()
			var lastRev int64
			seen := 0
			lat[w] = make([]time.Duration, 0, cfg.writes)
			for resp := range ch {
				now := time.Now()
				for _, ev := range resp.Events {
					v := ev.Kv.Value
					if ev.Kv.ModRevision <= lastRev || len(v) < 16 {
						bad("watcher %d: revision %d after %d", w,
							ev.Kv.ModRevision, lastRev)
						continue
					}
					lastRev = ev.Kv.ModRevision
					sent := int64(binary.BigEndian.Uint64(v[0:8]))
					n := int(binary.BigEndian.Uint64(v[8:16]))
					lat[w] = append(lat[w], time.Duration(now.UnixNano()-sent))
					if cfg.op == "watch-latency" {
						d := time.Duration(0)
						if a := atomic.LoadInt64(&ackAt[n]); a != 0 && now.UnixNano() > a {
							d = time.Duration(now.UnixNano() - a)
						}
						afterAck[w] = append(afterAck[w], d)
					}
					seen++
				}
				if seen >= cfg.writes {
					for {
						old := atomic.LoadInt64(&lastDelivery)
						if now.UnixNano() <= old ||
							atomic.CompareAndSwapInt64(&lastDelivery, old, now.UnixNano()) {
							break
						}
					}
					return
				}
			}
			bad("watcher %d: stream ended after %d of %d events: %v", w, seen,
				cfg.writes, base.Err())
		}(w, ch)
	}

	start := time.Now()
	var next int64
	var writers sync.WaitGroup
	nwriters := cfg.writers
	if cfg.op == "watch-latency" {
		nwriters = 1
	}
	for i := 0; i < nwriters; i++ {
		writers.Add(1)
		go func(i int) {
			defer writers.Done()
			c := cs[i%len(cs)]
			for {
				n := int(atomic.AddInt64(&next, 1) - 1)
				if n >= cfg.writes {
					return
				}
				k := key
				if cfg.op == "watch-throughput" {
					k = prefix + strconv.Itoa(n)
				}
				ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
				_, err := c.Put(ctx, k, string(watchValue(n, cfg.valSize)))
				cancel()
				if err != nil {
					bad("put %d: %v", n, err)
					continue
				}
				atomic.StoreInt64(&ackAt[n], time.Now().UnixNano())
				if cfg.interval > 0 {
					time.Sleep(cfg.interval)
				}
			}
		}(i)
	}
	writers.Wait()
	putSecs := time.Since(start).Seconds()
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		bad("not every watcher got every event within 60 s of the last put")
		stop()
		<-finished
	}

	var all, acks []time.Duration
	events := 0
	for w := range lat {
		all = append(all, lat[w]...)
		acks = append(acks, afterAck[w]...)
	}
	events = len(all)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	elapsed := time.Duration(atomic.LoadInt64(&lastDelivery) - start.UnixNano())
	if elapsed <= 0 {
		elapsed = time.Since(start)
	}
	r := watchResult{
		result: result{
			Label: cfg.label, Op: cfg.op, Clients: cfg.watchers,
			Conns: len(cs), Total: int64(events), Errors: errs,
			Seconds:   elapsed.Seconds(),
			OpsPerSec: float64(events) / elapsed.Seconds(),
			P50Ms:     percentile(all, 0.50), P90Ms: percentile(all, 0.90),
			P99Ms: percentile(all, 0.99), MaxMs: percentile(all, 1.0),
		},
		Streams:    cfg.streams,
		Writes:     cfg.writes,
		PutsPerSec: float64(cfg.writes) / putSecs,
		AckP50Ms:   percentile(acks, 0.50),
		AckP99Ms:   percentile(acks, 0.99),
	}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	emit(r, errs)
}

type watchResult struct {
	result
	Streams    int     `json:"streams"`
	Writes     int     `json:"writes"`
	PutsPerSec float64 `json:"puts_per_sec"`
	AckP50Ms   float64 `json:"ack_p50_ms"`
	AckP99Ms   float64 `json:"ack_p99_ms"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cairnload: "+format+"\n", args...)
	os.Exit(1)
}
