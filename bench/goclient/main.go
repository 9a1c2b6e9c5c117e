// Command goclient drives a Hazelcast-protocol member through the official
// Go client (github.com/hazelcast/hazelcast-go-client v1.4.2) with the same
// workloads as memgrid-bench, to show what an application sees: the same
// keys, values, mix and distributions, closed loop (-concurrency
// goroutines, each with one request outstanding) or open loop (-rate, with
// latency counted from each request's scheduled time). It prints one JSON
// object shaped like memgrid-bench's --json output.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

type options struct {
	addr, cluster, mapName, mix, dist, label string
	cpuProfile                               string
	keys, valueSize, concurrency, serverPid  int
	theta, rate                              float64
	warmup, duration                         time.Duration
	load, quiet                              bool
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:5701", "member address")
	flag.StringVar(&o.cluster, "cluster", "dev", "cluster name")
	flag.StringVar(&o.mapName, "map", "bench", "map name")
	flag.StringVar(&o.mix, "mix", "get:90,set:10", "operation weights")
	flag.StringVar(&o.dist, "dist", "uniform", "key distribution: uniform or zipfian")
	flag.StringVar(&o.label, "label", "", "name of the run, copied into the report")
	flag.IntVar(&o.keys, "keys", 100000, "key count (keys \"key:0\"...)")
	flag.IntVar(&o.valueSize, "value-size", 100, "[]byte value size")
	flag.IntVar(&o.concurrency, "concurrency", 64, "goroutines issuing requests")
	flag.IntVar(&o.serverPid, "server-pid", 0, "report this process's CPU per op and RSS")
	flag.Float64Var(&o.theta, "zipf-theta", 0.99, "zipfian skew")
	flag.Float64Var(&o.rate, "rate", 0, "open loop: requests per second (0 = closed loop)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before measuring")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measurement length")
	flag.BoolVar(&o.load, "load", true, "set every key before the warm-up")
	flag.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured window to this file")
	flag.Parse()
	return o
}

// counters of one goroutine; merged after the run.
type stats struct {
	hist   [opCount]*histogram
	ops    [opCount]uint64
	errors uint64
	misses uint64
	first  string
}

func newStats() *stats {
	s := &stats{}
	for i := range s.hist {
		s.hist[i] = newHistogram()
	}
	return s
}

// phase of the run, shared by the goroutines: 0 warm-up, 1 measure, 2 stop.
var phase atomic.Int32

// dropped counts open-loop requests the client could not even queue.
var dropped atomic.Uint64

func doOp(ctx context.Context, m *hazelcast.Map, w *workload, op, key int) (miss bool, err error) {
	k := w.keys[key]
	switch op {
	case opGet:
		v, err := m.Get(ctx, k)
		return v == nil, err
	case opPut:
		_, err := m.Put(ctx, k, w.value)
		return false, err
	case opSet:
		return false, m.Set(ctx, k, w.value)
	default:
		v, err := m.Remove(ctx, k)
		return v == nil, err
	}
}

// account records one answered request issued in phase p.
func (s *stats) account(p int32, op int, lat time.Duration, miss bool, err error) {
	if err != nil {
		s.errors++
		if s.first == "" {
			s.first = err.Error()
		}
		return
	}
	if miss {
		s.misses++
	}
	if p == 1 && phase.Load() == 1 {
		s.hist[op].record(int64(lat))
		s.ops[op]++
	}
}

func closedLoop(ctx context.Context, m *hazelcast.Map, w *workload, o options, all []*stats) {
	var wg sync.WaitGroup
	for g := 0; g < o.concurrency; g++ {
		wg.Add(1)
		go func(s *stats, seed uint64) {
			defer wg.Done()
			rng := seed
			for i := 0; i < 1<<40; i++ {
				p := phase.Load()
				if p == 2 {
					return
				}
				op, key := w.nextOp(&rng), w.nextKey(&rng)
				t0 := time.Now()
				miss, err := doOp(ctx, m, w, op, key)
				s.account(p, op, time.Since(t0), miss, err)
			}
		}(all[g], uint64(time.Now().UnixNano())+uint64(g)*7919)
	}
	wg.Wait()
}

type job struct {
	due time.Time
	p   int32
}

// openLoop: a scheduler sends request k at start + k/rate to a pool of
// goroutines; latency counts from the scheduled time, so time spent
// waiting for a free goroutine (the client's own queue) is included.
func openLoop(ctx context.Context, m *hazelcast.Map, w *workload, o options, all []*stats) {
	jobs := make(chan job, 1<<16)
	var wg sync.WaitGroup
	for g := 0; g < o.concurrency; g++ {
		wg.Add(1)
		go func(s *stats, seed uint64) {
			defer wg.Done()
			rng := seed
			for j := range jobs {
				op, key := w.nextOp(&rng), w.nextKey(&rng)
				miss, err := doOp(ctx, m, w, op, key)
				s.account(j.p, op, time.Since(j.due), miss, err)
			}
		}(all[g], uint64(time.Now().UnixNano())+uint64(g)*7919)
	}
	start := time.Now()
	interval := float64(time.Second) / o.rate
	var k uint64
	tick := time.NewTicker(100 * time.Microsecond)
	for phase.Load() != 2 {
		now := <-tick.C
		due := uint64(float64(now.Sub(start))/interval) + 1
		for ; k < due && phase.Load() != 2; k++ {
			t := start.Add(time.Duration(float64(k) * interval))
			select {
			case jobs <- job{due: t, p: phase.Load()}:
			default:
				// The queue is full: the client cannot keep up; the
				// skipped requests are reported as errors.
				dropped.Add(1)
			}
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
}

func load(ctx context.Context, m *hazelcast.Map, w *workload, conc int) (int, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	var loaded atomic.Int64
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(w.keys) {
					return
				}
				if err := m.Set(ctx, w.keys[i], w.value); err != nil {
					failed.Store(err)
					return
				}
				loaded.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return int(loaded.Load()), err
	}
	return int(loaded.Load()), nil
}

func procCPU(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseFloat(f[11], 64) // field 14 overall
	st, _ := strconv.ParseFloat(f[12], 64) // field 15
	return (ut + st) / 100                 // USER_HZ is 100 on Linux
}

func procRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return -1
}

// machineTicks reads the first line of /proc/stat: busy (all but idle and
// iowait) and total clock ticks over all CPUs, so that a run can tell
// whether the whole machine was full (process figures miss kernel network
// work done in softirq context).
func machineTicks() (busy, total uint64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line := strings.SplitN(string(data), "\n", 2)[0]
	f := strings.Fields(line)
	for i := 1; i < len(f) && i <= 8; i++ { // user..steal; guest is inside user
		v, _ := strconv.ParseUint(f[i], 10, 64)
		total += v
		if i != 4 && i != 5 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

type latencyJSON struct {
	Count  uint64  `json:"count"`
	P50    float64 `json:"p50_us"`
	P90    float64 `json:"p90_us"`
	P99    float64 `json:"p99_us"`
	P999   float64 `json:"p999_us"`
	Max    float64 `json:"max_us"`
	MeanUs float64 `json:"mean_us"`
}

func latJSON(h *histogram) latencyJSON {
	us := func(ns int64) float64 { return float64(ns) / 1000 }
	mx := int64(0)
	if h.count > 0 {
		mx = h.max
	}
	return latencyJSON{h.count, us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)),
		us(h.percentile(99.9)), us(mx), h.mean() / 1000}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goclient: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	o := parseFlags()
	mix, err := parseMix(o.mix)
	if err != nil {
		fail("%v", err)
	}
	w, err := newWorkload(o.keys, o.valueSize, mix, o.dist == "zipfian", o.theta)
	if err != nil {
		fail("%v", err)
	}
	cfg := hazelcast.NewConfig()
	cfg.Cluster.Name = o.cluster
	cfg.Cluster.Network.SetAddresses(o.addr)
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(30 * time.Second)
	cfg.Cluster.InvocationTimeout = types.Duration(30 * time.Second)
	cfg.Logger.Level = logger.ErrorLevel
	ctx := context.Background()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	client, err := hazelcast.StartNewClientWithConfig(sctx, cfg)
	cancel()
	if err != nil {
		fail("connecting to %s: %v", o.addr, err)
	}
	defer client.Shutdown(context.Background())
	m, err := client.GetMap(ctx, o.mapName)
	if err != nil {
		fail("GetMap: %v", err)
	}
	loaded := 0
	var rssLoaded int64 = -1
	if o.load {
		if loaded, err = load(ctx, m, w, o.concurrency); err != nil {
			fail("loading: %v", err)
		}
	}
	if o.serverPid > 0 {
		rssLoaded = procRSS(o.serverPid)
	}

	all := make([]*stats, o.concurrency)
	for i := range all {
		all[i] = newStats()
	}
	phase.Store(0)
	done := make(chan struct{})
	go func() {
		if o.rate > 0 {
			openLoop(ctx, m, w, o, all)
		} else {
			closedLoop(ctx, m, w, o, all)
		}
		close(done)
	}()
	time.Sleep(o.warmup)
	cpu0, srv0 := selfCPU(), -1.0
	mb0, mt0 := machineTicks()
	if o.serverPid > 0 {
		srv0 = procCPU(o.serverPid)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fail("%v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fail("%v", err)
		}
	}
	t0 := time.Now()
	phase.Store(1)
	if !o.quiet {
		for i := 0; time.Since(t0) < o.duration && i < 1<<20; i++ {
			left := o.duration - time.Since(t0)
			if left > time.Second {
				left = time.Second
			}
			time.Sleep(left)
			fmt.Fprintf(os.Stderr, "[%5.1fs] measure\n", time.Since(t0).Seconds())
		}
	} else {
		time.Sleep(o.duration)
	}
	phase.Store(2)
	window := time.Since(t0).Seconds()
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	cpu1, srv1 := selfCPU(), -1.0
	mb1, mt1 := machineTicks()
	machineCores := -1.0
	if mt1 > mt0 {
		machineCores = float64(mb1-mb0) / float64(mt1-mt0) * float64(runtime.NumCPU())
	}
	if o.serverPid > 0 {
		srv1 = procCPU(o.serverPid)
	}
	select {
	case <-done:
	case <-time.After(35 * time.Second): // invocation timeout + margin
		fail("requests still outstanding 35 s after the end")
	}

	total := newStats()
	var perOp [opCount]*histogram
	allHist := newHistogram()
	for i := range perOp {
		perOp[i] = newHistogram()
	}
	var ops uint64
	for _, s := range all {
		for i := 0; i < opCount; i++ {
			perOp[i].merge(s.hist[i])
			allHist.merge(s.hist[i])
			total.ops[i] += s.ops[i]
			ops += s.ops[i]
		}
		total.errors += s.errors
		total.misses += s.misses
		if total.first == "" {
			total.first = s.first
		}
	}
	total.errors += dropped.Load()
	per := map[string]latencyJSON{}
	for i := 0; i < opCount; i++ {
		if perOp[i].count > 0 {
			per[opNames[i]] = latJSON(perOp[i])
		}
	}
	opsf := float64(ops)
	if opsf == 0 {
		opsf = 1
	}
	out := map[string]interface{}{
		"tool":          "goclient",
		"label":         o.label,
		"target":        map[string]interface{}{"addr": o.addr},
		"config":        map[string]interface{}{"mix": o.mix, "keys": o.keys, "dist": o.dist, "value_size": o.valueSize, "concurrency": o.concurrency, "rate": o.rate, "warmup_s": o.warmup.Seconds(), "duration_s": o.duration.Seconds()},
		"ok":            total.errors == 0 && ops > 0,
		"first_error":   total.first,
		"loaded":        loaded,
		"window_s":      window,
		"ops":           ops,
		"ops_per_s":     float64(ops) / window,
		"errors":        total.errors,
		"lost":          0,
		"misses":        total.misses,
		"latency":       latJSON(allHist),
		"per_op":        per,
		"machine_cores": machineCores,
		"client":        map[string]interface{}{"cpu_s": cpu1 - cpu0, "cores": (cpu1 - cpu0) / window, "cpu_us_per_op": (cpu1 - cpu0) * 1e6 / opsf},
	}
	if o.serverPid > 0 {
		out["server"] = map[string]interface{}{"pid": o.serverPid, "cpu_s": srv1 - srv0, "cores": (srv1 - srv0) / window, "cpu_us_per_op": (srv1 - srv0) * 1e6 / opsf, "rss_loaded_kb": rssLoaded, "rss_end_kb": procRSS(o.serverPid)}
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
	if total.errors > 0 || ops == 0 {
		os.Exit(1)
	}
}
