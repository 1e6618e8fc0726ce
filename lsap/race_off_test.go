//go:build !race

package lsap_test

const raceEnabled = false
