package sim

import (
	"sync"

	"github.com/pcttrack/pcttrack/physics"
)

type thinKey struct {
	m      *physics.Material
	t, cut float64
	exc    bool
}

var (
	thinMu    sync.Mutex
	thinCache = map[thinKey]*physics.ThinLayer{}
)
