// Package cache is the article's caching layer: a CacheManager that hides
// the Hazelcast client behind Get/Set/Delete of JSON-encoded values.
//
// Differences from the article, forced by the real client:
//   - hazelcast-go-client v1.4.2 has no Map.PutWithOptions and no
//     types.PutOptions; Set uses Map.PutWithTTL(ctx, key, value, ttl), which
//     sends the same request (Map.Put with a ttl). A ttl of 0 means "never
//     expires" to the member.
//   - NewCacheManager is unchanged, so it uses the client's default cluster
//     name "dev"; NewCacheManagerInCluster is added for members with another
//     cluster name.
package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
)

type CacheManager struct {
	client *hazelcast.Client
}

func NewCacheManager(addresses ...string) (*CacheManager, error) {
	config := hazelcast.NewConfig()
	config.Cluster.Network.SetAddresses(addresses...)
	client, err := hazelcast.StartNewClientWithConfig(context.Background(), config)
	if err != nil {
		return nil, err
	}
	return &CacheManager{client: client}, nil
}

// NewCacheManagerInCluster is NewCacheManager for a cluster not named "dev".
func NewCacheManagerInCluster(clusterName string, addresses ...string) (*CacheManager, error) {
	config := hazelcast.NewConfig()
	config.Cluster.Name = clusterName
	config.Cluster.Network.SetAddresses(addresses...)
	client, err := hazelcast.StartNewClientWithConfig(context.Background(), config)
	if err != nil {
		return nil, err
	}
	return &CacheManager{client: client}, nil
}

func (cm *CacheManager) Get(ctx context.Context, cacheMap, key string, dest interface{}) error {
	m, err := cm.client.GetMap(ctx, cacheMap)
	if err != nil {
		return fmt.Errorf("failed to get map: %w", err)
	}
	value, err := m.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("failed to get value: %w", err)
	}
	if value == nil {
		return fmt.Errorf("key not found: %s", key)
	}
	if err := json.Unmarshal([]byte(value.(string)), dest); err != nil {
		return fmt.Errorf("failed to unmarshal: %w", err)
	}
	return nil
}

func (cm *CacheManager) Set(ctx context.Context, cacheMap, key string, value interface{}, ttl time.Duration) error {
	m, err := cm.client.GetMap(ctx, cacheMap)
	if err != nil {
		return fmt.Errorf("failed to get map: %w", err)
	}
	data, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("failed to marshal: %w", err)
	}
	_, err = m.PutWithTTL(ctx, key, string(data), ttl)
	if err != nil {
		return fmt.Errorf("failed to put value: %w", err)
	}
	return nil
}

func (cm *CacheManager) Delete(ctx context.Context, cacheMap, key string) error {
	m, err := cm.client.GetMap(ctx, cacheMap)
	if err != nil {
		return fmt.Errorf("failed to get map: %w", err)
	}
	_, err = m.Remove(ctx, key)
	return err
}

func (cm *CacheManager) Close() error {
	return cm.client.Shutdown(context.Background())
}
