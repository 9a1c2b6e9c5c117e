package harness

// ArticleOptions is the map part of the article's hazelcast.yaml (its network
// part is replaced by the harness's 127.0.0.1-only settings). The cluster is
// named "dev", the Go client's default, so that the article's programs, which
// never set a cluster name, connect unchanged.
func ArticleOptions() Options {
	return Options{
		ClusterName: "dev",
		Maps: []MapConfig{
			{
				Name:           "default",
				MaxIdleSeconds: 300,
				TTLSeconds:     0,
				Eviction:       &Eviction{MaxSizePolicy: "PER_NODE", Policy: "LRU", Size: 10000},
			},
			{Name: "sessions", TTLSeconds: 1800, MaxIdleSeconds: 300},
		},
	}
}
