// Package track turns scored hit-graph segments into proton tracks: per pair
// of adjacent layers it solves one linear assignment problem (package lsap) on
// segment costs such as 1 − p, with cut segments forbidden, marks the chosen
// segments, chains them deep → shallow into tracks and filters the tracks as
// the paper does (more than 4 hits, deepest deposit above 0.0625 MeV).
// Segment order, hit order and layer order are those of graph.HitGraph;
// a Tracks value lists graph hit indices, deepest hit first. An Assigner
// owns its workspace (reused across frames, not safe for concurrent use);
// functions that take a dst slice write into it (grown if too short) and
// return it.
package track
