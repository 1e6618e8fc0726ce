// Package memo keeps values that are expensive to build (benchmark inputs,
// test fixtures) once per key for the life of the process, safe for
// concurrent use, so that each test or benchmark package need not write
// its own locked cache.
package memo

import "sync"

// Map holds one value per key. The zero value is empty and ready to use.
type Map[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// Get returns the value of key, building it with build the first time (under
// the lock, so a value is built once). A build error is returned and
// nothing is kept.
func (c *Map[K, V]) Get(key K, build func() (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if c.m == nil {
		c.m = make(map[K]V)
	}
	c.m[key] = v
	return v, nil
}
