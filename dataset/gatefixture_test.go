package dataset

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"os"
	"testing"

	"go-hep.org/x/hep/groot"
	"go-hep.org/x/hep/groot/rbase"
	"go-hep.org/x/hep/groot/rtree"
)

var update = flag.Bool("update", false, "rewrite "+gateFixture+" from testdata/hits_v91.npy")

// gateFixture holds the raw hits of the npz fixtures (testdata/README.md)
// as GATE hits trees, one per layer-ID convention, so that the expected
// results of testdata/expected.json apply to the ROOT reader too.
const gateFixture = "testdata/hits_gate.root"

// Trees of gateFixture.
const (
	treeV91    = "Hits"       // GATE 9.1: baseID, level1..3ID and volumeID; auto → v91
	treeV92    = "HitsV92"    // level1ID, level2ID and volumeID; auto → v92-level
	treeVolume = "HitsVolume" // volumeID only, an extra mother volume; auto → v92-volume
	treeWorld  = "HitsWorld"  // volumeID only, scanners in the world; v92-world
	worldK0    = 2            // scanner_1's daughter index in HitsWorld's world (Module_final_auto)
	backupRows = 40           // rows of the lower backup cycle of Hits
)

// gateRow is one GATE hit with its true layer z.
type gateRow struct {
	pdg, track, parent, event int32
	time                      float64
	edep, x, y, z             float32
	spotX, spotY              float64
	process                   string
	layer                     int32
}

// readFixtureRows reads the raw hits of testdata/hits_v91.npy.
func readFixtureRows(t *testing.T) []gateRow {
	t.Helper()
	f, err := os.Open("testdata/hits_v91.npy")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	h, err := readNPYHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	s := &npySource{h: h, row: make([]byte, h.itemsize)}
	ints := map[string]func() int64{}
	for _, n := range []string{"PDGEncoding", "trackID", "parentID", "eventID", "baseID", "level1ID"} {
		ints[n] = s.intCol(n)
	}
	floats := map[string]func() float64{}
	for _, n := range []string{"time", "edep", "posX", "posY", "posZ", "spotX", "spotY"} {
		floats[n] = s.floatCol(n)
	}
	pf, poff, _ := h.field("processName")
	var rows []gateRow
	for range h.rows {
		if _, err := io.ReadFull(br, s.row); err != nil {
			t.Fatal(err)
		}
		r := gateRow{
			pdg: int32(ints["PDGEncoding"]()), track: int32(ints["trackID"]()), parent: int32(ints["parentID"]()),
			event: int32(ints["eventID"]()), time: floats["time"](),
			edep: float32(floats["edep"]()), x: float32(floats["posX"]()), y: float32(floats["posY"]()), z: float32(floats["posZ"]()),
			spotX: floats["spotX"](), spotY: floats["spotY"](),
			process: string(bytes.TrimRight(s.row[poff:poff+pf.size], "\x00")),
			layer:   int32(ints["level1ID"]()),
		}
		if ints["baseID"]() == 2 {
			r.layer += 2
		}
		rows = append(rows, r)
	}
	return rows
}

// TestWriteGATEFixture rewrites gateFixture with groot's writer:
//
//	go test ./dataset -run TestWriteGATEFixture -update
func TestWriteGATEFixture(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + gateFixture)
	}
	rows := readFixtureRows(t)
	f, err := groot.Create(gateFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// GATE leaves an autosave snapshot as a lower cycle: a reader that
	// took it would see only the first rows.
	writeGATETree(t, f, treeV91, rows[:backupRows])
	for _, tree := range []string{treeV91, treeV92, treeVolume, treeWorld} {
		writeGATETree(t, f, tree, rows)
	}
	// GATE's file also holds histograms: an object that is not a tree.
	if err := f.Put("latest_event_ID", rbase.NewObjString("not a tree")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeGATETree writes rows as the hits tree name with that tree's
// branches and ID convention.
func writeGATETree(t *testing.T, f *groot.File, name string, rows []gateRow) {
	t.Helper()
	var (
		base, level1, level2, level3, pdg, event int32
		track, parent                            int32
		edep, x, y, z                            float32
		time, spotX, spotY                       float64
		volumeID                                 [10]int32
		process                                  string
	)
	vars := []rtree.WriteVar{
		{Name: "PDGEncoding", Value: &pdg}, {Name: "trackID", Value: &track}, {Name: "parentID", Value: &parent},
		{Name: "edep", Value: &edep}, {Name: "posX", Value: &x}, {Name: "posY", Value: &y}, {Name: "posZ", Value: &z},
		{Name: "eventID", Value: &event}, {Name: "volumeID", Value: &volumeID},
	}
	switch name {
	case treeV91:
		vars = append(vars, rtree.WriteVar{Name: "time", Value: &time}, rtree.WriteVar{Name: "baseID", Value: &base},
			rtree.WriteVar{Name: "level1ID", Value: &level1}, rtree.WriteVar{Name: "level2ID", Value: &level2},
			rtree.WriteVar{Name: "level3ID", Value: &level3}, rtree.WriteVar{Name: "processName", Value: &process})
		fallthrough
	case treeV92:
		vars = append(vars, rtree.WriteVar{Name: "spotX", Value: &spotX}, rtree.WriteVar{Name: "spotY", Value: &spotY})
	}
	if name == treeV92 {
		vars = append(vars, rtree.WriteVar{Name: "level1ID", Value: &level1}, rtree.WriteVar{Name: "level2ID", Value: &level2})
	}
	w, err := rtree.NewWriter(f, name, vars, rtree.WithTitle("Hits"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		pdg, track, parent, event, time, edep, x, y, z = r.pdg, r.track, r.parent, r.event, r.time, r.edep, r.x, r.y, r.z
		spotX, spotY, process = r.spotX, r.spotY, r.process
		sys, copyNo := int32(0), r.layer // tracker (system 0) copies 0, 1; calorimeter copies 0…
		if r.layer >= 2 {
			sys, copyNo = 1, r.layer-2
		}
		// v91 and tk: baseID = system + 1 (0 would be the phantom),
		// level1ID = copy. v92-level: level1ID = tracker copy with
		// level2ID = −1, or level2ID = calorimeter copy: in Hits the
		// same level1ID serves v91 and v92-level.
		base, level1, level2, level3 = sys+1, copyNo, -1, 3
		if sys == 1 {
			level2 = copyNo
		}
		if name == treeV92 && sys == 1 {
			level1 = 0
		}
		volumeID = [10]int32{0, 1, sys, copyNo, 3, -1, -1, -1, -1, -1} // world, mother, system, layer, epi
		if name == treeWorld {
			volumeID = [10]int32{0, worldK0 + sys, copyNo, 3, -1, -1, -1, -1, -1, -1}
		}
		if _, err := w.Write(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
