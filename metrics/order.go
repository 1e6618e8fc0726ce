package metrics

// ComparePhantoms orders phantom specs as tables do: runs of digits
// compare as numbers, so "water:50" < "water:100".
func ComparePhantoms(a, b string) int { return naturalCompare(a, b) }
