// cairnload drives an etcd v3 endpoint (cairn or etcd) with a stock etcd Go
// client (clientv3, Debian's golang-etcd-server-dev) and reports throughput
// and latency percentiles. The same binary and flags run against both
// servers, so their figures compare directly.
//
//	cairnload --endpoints 127.0.0.1:2379 --op put --clients 100 --conns 10 \
//	  --total 20000 --key-size 8 --val-size 256
//
// Ops: put (sequential keys spread over a key space), range (one key,
// linearizable unless --serializable), gwput (the same puts as JSON through
// the HTTP gateway, POST /v3/kv/put, on --conns keep-alive HTTP/1.1
// connections), watch-latency and watch-throughput (watch.go). The output
// is one JSON object per run on stdout, so scripts can compute ratios.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type result struct {
	Label      string  `json:"label"`
	Op         string  `json:"op"`
	Clients    int     `json:"clients"`
	Conns      int     `json:"conns"`
	Total      int64   `json:"total"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated endpoints")
	op := flag.String("op", "put", "put | range | gwput | keepalive | watch-latency | watch-throughput")
	clients := flag.Int("clients", 1, "concurrent clients (goroutines)")
	conns := flag.Int("conns", 1, "gRPC connections the clients share")
	total := flag.Int64("total", 10000, "requests in all")
	keySize := flag.Int("key-size", 8, "key bytes")
	valSize := flag.Int("val-size", 256, "value bytes")
	keySpace := flag.Int("key-space", 100000, "distinct keys written")
	serializable := flag.Bool("serializable", false, "serializable ranges")
	label := flag.String("label", "", "a name carried into the JSON output")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	streams := flag.Int("streams", 0, "watch ops: Watch streams (0: one per connection)")
	writes := flag.Int("writes", 0, "watch ops: puts (0: --total)")
	writers := flag.Int("writers", 16, "watch-throughput: concurrent writers")
	interval := flag.Duration("interval", 5*time.Millisecond, "watch-latency: pause between puts")
	flag.Parse()

	var cs []*clientv3.Client
	for i := 0; i < *conns; i++ {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   strings.Split(*endpoints, ","),
			DialTimeout: 5 * time.Second,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cairnload:", err)
			os.Exit(1)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	if strings.HasPrefix(*op, "watch-") {
		cfg := watchConfig{op: *op, watchers: *clients, streams: *streams,
			writes: *writes, writers: *writers, interval: *interval,
			valSize: *valSize, timeout: *timeout, label: *label}
		if cfg.writes <= 0 {
			cfg.writes = int(*total)
		}
		if cfg.op == "watch-throughput" {
			cfg.interval = 0
		}
		runWatch(cs, cfg)
		return
	}
	value := strings.Repeat("v", *valSize)
	key := func(n int64) string {
		b := make([]byte, *keySize)
		var tmp [8]byte
		binary.BigEndian.PutUint64(tmp[:], uint64(n%int64(*keySpace)))
		copy(b[max(0, *keySize-8):], tmp[max(0, 8-*keySize):])
		return string(b)
	}
	if *op == "range" {
		// The key read must exist.
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		_, err := cs[0].Put(ctx, key(0), value)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "cairnload: seeding:", err)
			os.Exit(1)
		}
	}

	// The gateway: one shared HTTP client keeping up to --conns
	// connections alive.
	hc := &http.Client{Transport: &http.Transport{
		MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns,
		MaxConnsPerHost: *conns}}
	gwURL := "http://" + strings.Split(*endpoints, ",")[0] + "/v3/kv/put"

	// keepalive: one lease per client, renewed with KeepAliveOnce (a
	// LeaseKeepAlive stream per renewal, as etcd's benchmark lease-keepalive).
	leases := make([]clientv3.LeaseID, *clients)
	if *op == "keepalive" {
		for w := range leases {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			resp, err := cs[w%len(cs)].Grant(ctx, 60)
			cancel()
			if err != nil {
				fmt.Fprintln(os.Stderr, "cairnload: granting:", err)
				os.Exit(1)
			}
			leases[w] = resp.ID
		}
	}

	var next, errs int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := cs[w%len(cs)]
			for {
				n := atomic.AddInt64(&next, 1) - 1
				if n >= *total {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				t0 := time.Now()
				var err error
				switch *op {
				case "put":
					_, err = c.Put(ctx, key(n), value)
				case "gwput":
					err = gatewayPut(ctx, hc, gwURL, key(n), value)
				case "range":
					var opts []clientv3.OpOption
					if *serializable {
						opts = append(opts, clientv3.WithSerializable())
					}
					_, err = c.Get(ctx, key(0), opts...)
				case "keepalive":
					_, err = c.KeepAliveOnce(ctx, leases[w])
				default:
					err = fmt.Errorf("unknown op %q", *op)
				}
				d := time.Since(t0)
				cancel()
				if err != nil {
					atomic.AddInt64(&errs, 1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[w] = append(lat[w], d)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{
		Label: *label, Op: *op, Clients: *clients, Conns: *conns,
		Total: *total, Errors: errs, Seconds: elapsed.Seconds(),
		OpsPerSec: float64(len(all)) / elapsed.Seconds(),
		P50Ms:     percentile(all, 0.50), P90Ms: percentile(all, 0.90),
		P99Ms: percentile(all, 0.99), MaxMs: percentile(all, 1.0),
	}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	if *serializable {
		r.Op = "range-serializable"
	}
	emit(r, errs)
}

// emit prints one run's JSON line; errors make the exit status 2.
func emit(r interface{}, errs int64) {
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if errs > 0 {
		os.Exit(2)
	}
}

// gatewayPut posts one PutRequest as JSON and reads the whole answer.
func gatewayPut(ctx context.Context, hc *http.Client, url, key, value string) error {
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString([]byte(value)),
	})
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, out)
	}
	return nil
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}
