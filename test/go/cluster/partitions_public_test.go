//go:build !hazelcastinternal

package cluster

// Without the build tag hazelcastinternal the Go client v1.4.2 exposes no
// partition table (neither owners nor a key's partition), so the check of
// how keys spread over members is skipped. Run it with
//   go test -tags hazelcastinternal ./cluster/ -run TestClusterForms

import (
	"context"
	"errors"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

func partitionAPIAvailable() bool { return false }

type partitionTable struct {
	count   int32
	owner   map[int32]types.UUID
	version int32
}

func (p *partitionTable) partitionOf(string) (int32, error) {
	return 0, errors.New("no partition API without -tags hazelcastinternal")
}

func watchPartitionTable(context.Context, *hazelcast.Client) (func() *partitionTable, error) {
	return nil, errors.New("no partition API without -tags hazelcastinternal")
}
