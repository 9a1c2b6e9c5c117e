//go:build hazelcastinternal

package cluster

// RemoveEntryListener of a cluster-wide registration, as the Node.js and
// Python clients send it: with the registration id the member answered.
// (The Go client sends an id of its own, which no member knows, and drops
// the events itself; see client-protocol.md §12.2.) The requests are
// built by hand with the client's internal API (build tag
// hazelcastinternal), which also gives the raw events.

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"

	"memgrid.test/go/harness"
)

const (
	mapAddEntryListenerRequest    = int32(0x011900)
	mapRemoveEntryListenerRequest = int32(0x011A00)
	entryAddedFlag                = int32(1)
)

// rawEvents counts the entry events of one raw registration, per key.
type rawEvents struct {
	ci   *hazelcast.ClientInternal
	mu   sync.Mutex
	keys map[string]int
	n    int
	errs []string
}

func (r *rawEvents) handle(msg *hazelcast.ClientMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	it := msg.FrameIterator()
	it.Next() // initial frame
	if !it.HasNext() {
		r.errs = append(r.errs, "event without a key frame")
		return
	}
	kf := it.Next()
	if kf.IsNullFrame() {
		r.errs = append(r.errs, "event with a null key")
		return
	}
	k, err := r.ci.DecodeData(hazelcast.Data(kf.Content))
	if err != nil {
		r.errs = append(r.errs, err.Error())
		return
	}
	s, _ := k.(string)
	r.keys[s]++
}

func (r *rawEvents) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func uuidAt(b []byte, off int) (types.UUID, error) {
	if len(b) < off+17 || b[off] != 0 {
		return types.UUID{}, fmt.Errorf("no UUID at %d of a %d-byte frame", off, len(b))
	}
	return types.NewUUIDWith(binary.LittleEndian.Uint64(b[off+1:]), binary.LittleEndian.Uint64(b[off+9:])), nil
}

// rawAddEntryListener sends Map.AddEntryListener (includeValue, flags,
// localOnly; name) on the client's connection and returns the id the
// member answered.
func rawAddEntryListener(ctx context.Context, ci *hazelcast.ClientInternal, name string, flags int32, localOnly bool,
	handler hazelcast.ClientMessageHandler) (types.UUID, error) {
	off := hazelcast.PartitionIDOffset + hazelcast.IntSizeInBytes
	content := make([]byte, off+1+4+1)
	content[off] = 1 // includeValue
	binary.LittleEndian.PutUint32(content[off+1:], uint32(flags))
	if localOnly {
		content[off+5] = 1
	}
	req := hazelcast.NewClientMessageForEncode()
	req.AddFrame(hazelcast.NewFrameWith(content, hazelcast.UnfragmentedMessage))
	req.SetMessageType(mapAddEntryListenerRequest)
	req.SetPartitionId(-1)
	req.AddFrame(hazelcast.NewFrame([]byte(name)))
	resp, err := ci.InvokeOnRandomTarget(ctx, req, &hazelcast.InvokeOptions{Handler: handler})
	if err != nil {
		return types.UUID{}, err
	}
	return uuidAt(resp.Frames[0].Content, hazelcast.ResponseBackupAcksOffset+1)
}

// rawRemoveEntryListener sends Map.RemoveEntryListener(name, id) and
// returns the member's answer.
func rawRemoveEntryListener(ctx context.Context, ci *hazelcast.ClientInternal, name string, id types.UUID) (bool, error) {
	off := hazelcast.PartitionIDOffset + hazelcast.IntSizeInBytes
	content := make([]byte, off+hazelcast.UUIDSizeInBytes)
	binary.LittleEndian.PutUint64(content[off+1:], id.MostSignificantBits())
	binary.LittleEndian.PutUint64(content[off+9:], id.LeastSignificantBits())
	req := hazelcast.NewClientMessageForEncode()
	req.AddFrame(hazelcast.NewFrameWith(content, hazelcast.UnfragmentedMessage))
	req.SetMessageType(mapRemoveEntryListenerRequest)
	req.SetPartitionId(-1)
	req.AddFrame(hazelcast.NewFrame([]byte(name)))
	resp, err := ci.InvokeOnRandomTarget(ctx, req, nil)
	if err != nil {
		return false, err
	}
	b := resp.Frames[0].Content
	at := hazelcast.ResponseBackupAcksOffset + 1
	if len(b) <= at {
		return false, fmt.Errorf("short RemoveEntryListener answer (%d bytes)", len(b))
	}
	return b[at] != 0, nil
}

// TestListenerRemovedFromEveryMember: a unisocket client registers with
// localOnly=false on one of 3 members and gets the events of all keys;
// RemoveEntryListener with the member's id answers true, and then no
// event comes, from any member.
func TestListenerRemovedFromEveryMember(t *testing.T) {
	c := harness.StartCluster(t, harness.ClusterOptions{Size: 3})
	ctx := harness.Context(t, testLimit)
	smart, view := c.NewClient(t)
	members := c.WaitMembers(t, view, all(c)...)
	uni, uview := c.NewClient(t, harness.WithAddresses(c.Members[2].Addr), harness.WithUnisocket())
	c.WaitMembers(t, uview, all(c)...)
	waitBalanced(t, ctx, c, members)
	name := harness.MapName(t)
	smap := clusterMap(t, ctx, smart, name)

	ci := hazelcast.NewClientInternal(uni)
	raw := &rawEvents{ci: ci, keys: map[string]int{}}
	id, err := rawAddEntryListener(ctx, ci, name, entryAddedFlag, false, raw.handle)
	if err != nil {
		t.Fatalf("Map.AddEntryListener (localOnly=false) through %s: %v", c.Members[2].Addr, err)
	}
	keys := putKeys(t, ctx, smap, "raw", listenerKeys)
	deadline := time.Now().Add(eventLimit)
	for raw.count() < len(keys) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(eventQuiet)
	raw.mu.Lock()
	n, distinct, errs := raw.n, len(raw.keys), append([]string(nil), raw.errs...)
	raw.mu.Unlock()
	if n != len(keys) || distinct != len(keys) || len(errs) > 0 {
		t.Fatalf("%d events for %d distinct keys; want one for each of the %d keys put%s", n, distinct, len(keys), sample("errors", errs, 5))
	}

	removed, err := rawRemoveEntryListener(ctx, ci, name, id)
	if err != nil || !removed {
		t.Fatalf("Map.RemoveEntryListener(%s) = %v, %v; want true", id, removed, err)
	}
	putKeys(t, ctx, smap, "after", listenerKeys)
	time.Sleep(eventQuiet)
	if more := raw.count() - n; more > 0 {
		t.Errorf("%d events arrived after RemoveEntryListener answered true: a member kept its copy", more)
	}
}
