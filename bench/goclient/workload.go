package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The same workload as memgrid-bench (bench/loadgen/workload.c): keys are
// the strings "key:<i>", which the Go client serializes exactly as
// memgrid-bench does, values are []byte of valueSize bytes, and the mix and
// the zipfian distribution follow the same rules.

const (
	opGet = iota
	opPut
	opSet
	opRemove
	opCount
)

var opNames = [opCount]string{"get", "put", "set", "remove"}

type workload struct {
	keys   []string
	value  []byte
	mixCum [opCount]uint32
	zipf   bool
	// Gray et al. zipfian constants.
	zetaN, alpha, eta, halfPowTheta float64
}

func parseMix(s string) ([opCount]uint32, error) {
	var m [opCount]uint32
	for _, part := range strings.Split(s, ",") {
		kv := strings.SplitN(part, ":", 2)
		if len(kv) != 2 {
			return m, fmt.Errorf("mix %q: want op:weight[,op:weight...]", s)
		}
		op := -1
		for i, n := range opNames {
			if n == kv[0] {
				op = i
			}
		}
		if op < 0 {
			return m, fmt.Errorf("mix %q: ops are get, put, set, remove", s)
		}
		w, err := strconv.ParseUint(kv[1], 10, 32)
		if err != nil {
			return m, fmt.Errorf("mix %q: bad weight %q", s, kv[1])
		}
		m[op] = uint32(w)
	}
	return m, nil
}

func newWorkload(nkeys, valueSize int, mix [opCount]uint32, zipf bool, theta float64) (*workload, error) {
	w := &workload{keys: make([]string, nkeys), value: make([]byte, valueSize), zipf: zipf}
	for i := range w.keys {
		w.keys[i] = "key:" + strconv.Itoa(i)
	}
	rng := uint64(42)
	for i := range w.value {
		w.value[i] = byte(splitmix(&rng))
	}
	var total uint32
	for i, m := range mix {
		total += m
		w.mixCum[i] = total
	}
	if total == 0 {
		return nil, fmt.Errorf("the operation mix is empty")
	}
	if zipf {
		if theta <= 0 || theta >= 1 {
			return nil, fmt.Errorf("zipf theta must be in (0, 1)")
		}
		n := float64(nkeys)
		z := 0.0
		for i := 1; i <= nkeys; i++ {
			z += 1 / math.Pow(float64(i), theta)
		}
		zeta2 := 1 + math.Pow(0.5, theta)
		w.zetaN = z
		w.alpha = 1 / (1 - theta)
		w.eta = (1 - math.Pow(2/n, 1-theta)) / (1 - zeta2/z)
		w.halfPowTheta = math.Pow(0.5, theta)
	}
	return w, nil
}

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (w *workload) nextOp(rng *uint64) int {
	r := uint32(splitmix(rng) % uint64(w.mixCum[opCount-1]))
	for i := 0; i < opCount-1; i++ {
		if r < w.mixCum[i] {
			return i
		}
	}
	return opCount - 1
}

func (w *workload) nextKey(rng *uint64) int {
	n := uint64(len(w.keys))
	if !w.zipf {
		return int(splitmix(rng) % n)
	}
	u := float64(splitmix(rng)>>11) / (1 << 53)
	uz := u * w.zetaN
	var rank uint64
	switch {
	case uz < 1:
		rank = 0
	case uz < 1+w.halfPowTheta:
		rank = 1
	default:
		rank = uint64(float64(n) * math.Pow(w.eta*u-w.eta+1, w.alpha))
	}
	if rank >= n {
		rank = n - 1
	}
	s := rank
	return int(splitmix(&s) % n)
}
