package lsap

// ForceHeap makes s use its heap in every sparse search, so that tests
// cover that path on small problems too.
func ForceHeap(s *Solver) { s.forceHeap = true }
