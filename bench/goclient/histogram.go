package main

import "math/bits"

// histogram is the same log-linear layout as bench/loadgen/histogram.h:
// values below 128 ns have a bucket each, and every power of two above is
// cut into 128 equal buckets, so a value is known to within 1/128 of
// itself. Fixed size, no allocation per record, merged by adding counts.
type histogram struct {
	count    uint64
	min, max int64
	sum      float64
	buckets  [58 * 128]uint64
}

const subBits = 7
const sub = 1 << subBits

func newHistogram() *histogram { return &histogram{min: 1<<63 - 1} }

func bucketOf(v uint64) int {
	if v < sub {
		return int(v)
	}
	e := 63 - bits.LeadingZeros64(v)
	shift := e - subBits
	return (shift+1)*sub + int((v>>uint(shift))&(sub-1))
}

func bucketTop(i int) int64 {
	o, s := i/sub, i%sub
	if o == 0 {
		return int64(s)
	}
	lo := uint64(sub+s) << uint(o-1)
	return int64(lo + (uint64(1) << uint(o-1)) - 1)
}

func (h *histogram) record(v int64) {
	if v < 0 {
		v = 0
	}
	h.buckets[bucketOf(uint64(v))]++
	h.count++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	if o.count == 0 {
		return
	}
	for i := range h.buckets {
		h.buckets[i] += o.buckets[i]
	}
	h.count += o.count
	h.sum += o.sum
	if o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
}

// percentile: the upper edge of the bucket holding the value of rank
// ceil(pct% of count), capped by the largest value seen.
func (h *histogram) percentile(pct float64) int64 {
	if h.count == 0 {
		return 0
	}
	if pct >= 100 {
		return h.max
	}
	want := pct / 100 * float64(h.count)
	rank := uint64(want)
	if float64(rank) < want {
		rank++
	}
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.buckets {
		seen += c
		if seen >= rank {
			if t := bucketTop(i); t < h.max {
				return t
			}
			return h.max
		}
	}
	return h.max
}

func (h *histogram) mean() float64 {
	if h.count == 0 {
		return 0
	}
	return h.sum / float64(h.count)
}
