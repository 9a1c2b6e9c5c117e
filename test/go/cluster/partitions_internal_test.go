//go:build hazelcastinternal

package cluster

// The partition table, with the Go client's internal API (build tag
// hazelcastinternal): the public API of v1.4.2 exposes neither partition
// owners nor a key's partition. The table is read the way the client reads
// it: a ClientAddClusterViewListener request, whose "partitions view" event
// lists, for each member UUID, the partitions it owns.

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

const (
	clusterViewListenerRequest = int32(0x000300)
	partitionsViewEvent        = int32(0x000303)
)

func partitionAPIAvailable() bool { return true }

// partitionTable gives each partition's owner and each key's partition.
type partitionTable struct {
	count   int32
	owner   map[int32]types.UUID
	version int32
	ci      *hazelcast.ClientInternal
}

func (p *partitionTable) partitionOf(key string) (int32, error) {
	data, err := p.ci.EncodeData(key)
	if err != nil {
		return 0, err
	}
	return p.ci.GetPartitionID(data)
}

// watchPartitionTable registers a cluster view listener; the function it
// returns gives the newest partition table received so far (nil before
// the first).
func watchPartitionTable(ctx context.Context, c *hazelcast.Client) (func() *partitionTable, error) {
	ci := hazelcast.NewClientInternal(c)
	var mu sync.Mutex
	var latest *partitionTable
	handler := func(msg *hazelcast.ClientMessage) {
		if msg.Type() != partitionsViewEvent {
			return
		}
		pt, err := decodePartitionsView(msg)
		if err != nil {
			return
		}
		pt.ci = ci
		pt.count = ci.PartitionCount()
		mu.Lock()
		if latest == nil || pt.version >= latest.version {
			latest = pt
		}
		mu.Unlock()
	}
	req := hazelcast.NewClientMessageForEncode()
	req.AddFrame(hazelcast.NewFrameWith(make([]byte, hazelcast.PartitionIDOffset+hazelcast.IntSizeInBytes), hazelcast.UnfragmentedMessage))
	req.SetMessageType(clusterViewListenerRequest)
	req.SetPartitionId(-1)
	if _, err := ci.InvokeOnRandomTarget(ctx, req, &hazelcast.InvokeOptions{Handler: handler}); err != nil {
		return nil, fmt.Errorf("ClientAddClusterViewListener: %w", err)
	}
	return func() *partitionTable {
		mu.Lock()
		defer mu.Unlock()
		return latest
	}, nil
}

// decodePartitionsView decodes the event: initial frame (version at
// PartitionIDOffset+4), a multi-frame list of int lists (the partitions of
// each member), then one frame of UUIDs (the members, same order).
func decodePartitionsView(msg *hazelcast.ClientMessage) (*partitionTable, error) {
	it := msg.FrameIterator()
	if !it.HasNext() {
		return nil, fmt.Errorf("empty event")
	}
	initial := it.Next()
	off := hazelcast.PartitionIDOffset + hazelcast.IntSizeInBytes
	if len(initial.Content) < off+4 {
		return nil, fmt.Errorf("short initial frame")
	}
	pt := &partitionTable{owner: map[int32]types.UUID{}}
	pt.version = int32(binary.LittleEndian.Uint32(initial.Content[off:]))
	if !it.HasNext() || !it.Next().IsBeginFrame() {
		return nil, fmt.Errorf("no list of partition lists")
	}
	var lists [][]int32
	for it.HasNext() && !it.PeekNext().IsEndFrame() {
		f := it.Next()
		l := make([]int32, len(f.Content)/4)
		for i := range l {
			l[i] = int32(binary.LittleEndian.Uint32(f.Content[4*i:]))
		}
		lists = append(lists, l)
	}
	if !it.HasNext() {
		return nil, fmt.Errorf("truncated list of partition lists")
	}
	it.Next() // end frame
	if !it.HasNext() {
		return nil, fmt.Errorf("no member UUID list")
	}
	uf := it.Next()
	n := len(uf.Content) / hazelcast.UUIDSizeInBytes
	if n != len(lists) {
		return nil, fmt.Errorf("%d member UUIDs for %d partition lists", n, len(lists))
	}
	for i := 0; i < n; i++ {
		b := uf.Content[i*hazelcast.UUIDSizeInBytes:]
		var id types.UUID
		if b[0] == 0 { // not null
			id = types.NewUUIDWith(binary.LittleEndian.Uint64(b[1:]), binary.LittleEndian.Uint64(b[9:]))
		}
		for _, p := range lists[i] {
			pt.owner[p] = id
		}
	}
	return pt, nil
}
