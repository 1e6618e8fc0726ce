package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/sim"
)

// importFlags are the options shared by `import gate` and `import npz`.
type importFlags struct {
	out                string
	protonsPerFrame    int
	epiThickness       float64
	geometry           string
	phantom            string
	energy             float64
	layerScheme        string
	keepSmallClusters  bool
	removeDisconnected bool
	paperQuirks        bool
	tkPhantom          bool
	worldK0            int
}

func (f *importFlags) register(cmd *cobra.Command, epiDefault float64) {
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "output dataset (.parquet), required")
	fl.IntVar(&f.protonsPerFrame, "protons-per-frame", 100, "consecutive events per frame (N)")
	fl.Float64Var(&f.epiThickness, "epi-thickness", epiDefault, "sensitive slab thickness for the cluster size, mm")
	fl.StringVar(&f.geometry, "geometry", "", "detector geometry of the files: a preset ("+strings.Join(detector.PresetNames(), ", ")+") or a YAML file; \"\" = unknown")
	fl.StringVar(&f.phantom, "phantom", "", "phantom of the run: none or MATERIAL:MM, e.g. water:100 (stored with the frames)")
	fl.Float64Var(&f.energy, "energy", 0, "beam energy of the run, MeV (stored with the frames)")
	fl.StringVar(&f.layerScheme, "layer-scheme", "auto", "layer numbering: auto, tk, v91, v92-level, v92-volume, v92-world")
	fl.BoolVar(&f.keepSmallClusters, "keep-small-clusters", false, "keep hits with cluster size < 2")
	fl.BoolVar(&f.removeDisconnected, "remove-disconnected", false, "drop the layers after the first layer without hits")
	fl.BoolVar(&f.paperQuirks, "paper-quirks", false, "remove_disconnected with the paper's off-by-one (to match its numbers)")
	fl.BoolVar(&f.tkPhantom, "tk-phantom", false, "tk scheme: add 2 to the layer (toolkit's kPhantom)")
	fl.IntVar(&f.worldK0, "world-k0", 0, "v92-world scheme: scanner_1's daughter index in the world (0 = smallest seen)")
	cmd.MarkFlagRequired("out")
}

// options checks the flags and builds the importer options.
func (f *importFlags) options() (dataset.ImportOptions, error) {
	var o dataset.ImportOptions
	if err := checkBounds("import", atLeast("protons-per-frame", f.protonsPerFrame, 1)); err != nil {
		return o, err
	}
	if !(f.epiThickness > 0) || math.IsInf(f.epiThickness, 0) {
		return o, fmt.Errorf("import: --epi-thickness must be a positive length in mm, not %v", f.epiThickness)
	}
	if f.energy < 0 || math.IsNaN(f.energy) || math.IsInf(f.energy, 0) {
		return o, fmt.Errorf("import: --energy must be a non-negative energy in MeV, not %v", f.energy)
	}
	scheme, err := dataset.ParseLayerScheme(f.layerScheme)
	if err != nil {
		return o, fmt.Errorf("import: --layer-scheme: %w", err)
	}
	var name string
	var thick float64
	if f.phantom != "" { // "" is unknown, not "none"
		ph, err := sim.ParsePhantom(f.phantom)
		if err != nil {
			return o, fmt.Errorf("import: --phantom: %w", err)
		}
		name, thick = ph.String(), ph.WET()
	}
	geom := f.geometry
	if geom != "" {
		g, err := detector.Resolve(geom)
		if err != nil {
			return o, fmt.Errorf("import: --geometry: %w", err)
		}
		geom = g.Name
	}
	return dataset.ImportOptions{
		ProtonsPerFrame: f.protonsPerFrame, LayerScheme: scheme, EpiThickness: f.epiThickness,
		KeepSmallClusters: f.keepSmallClusters, RemoveDisconnected: f.removeDisconnected, PaperQuirks: f.paperQuirks,
		TKPhantom: f.tkPhantom, WorldK0: f.worldK0,
		Phantom: name, PhantomThickness: thick, BeamEnergy: f.energy, Geometry: geom,
	}, nil
}

var importCmd = &cobra.Command{
	Use:   "import",
	Short: "Import GATE ROOT hits or the paper's .npz files into a dataset",
}

func newImportSub(kind string, epiDefault float64) *cobra.Command {
	var f importFlags
	var tree, key string
	cmd := &cobra.Command{
		Use:   kind + " FILE... --out D.parquet",
		Args:  cobra.MinimumNArgs(1),
		Short: "Import " + map[string]string{"gate": "GATE Hits trees (ROOT)", "npz": "the paper's Zenodo .npz files"}[kind],
		Long: "Reads hits, numbers layers, merges hits per (event, track, layer), computes ALPIDE cluster sizes,\n" +
			"drops clusters below 2 pixels and cuts frames of N consecutive events per beam spot, as the\n" +
			"paper's pipeline does. Leftover events after the last full frame of a spot are dropped.",
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			// Create the output first: a bad --out fails before the import.
			text, err := dataset.ImportConfig(kind, args, o)
			if err != nil {
				return err
			}
			w, err := dataset.Create(f.out, dataset.Meta{Source: "import " + kind, Geometry: o.Geometry, Config: text})
			if err != nil {
				return err
			}
			defer w.Abort()
			var frames []dataset.Frame
			var rep *dataset.ImportReport
			if kind == "gate" {
				frames, rep, err = dataset.ImportGATE(args, &dataset.GATEOptions{ImportOptions: o, Tree: tree})
			} else {
				frames, rep, err = dataset.ImportNPZ(args, &dataset.NPZOptions{ImportOptions: o, Key: key})
			}
			if err != nil {
				return err
			}
			if err := w.WriteAll(cmd.Context(), frames); err != nil {
				return err
			}
			return reportImport(cmd.OutOrStdout(), f.out, rep)
		},
	}
	f.register(cmd, epiDefault)
	if kind == "gate" {
		cmd.Flags().StringVar(&tree, "tree", "Hits", "name of the hits tree (its highest cycle is read)")
	} else {
		cmd.Flags().StringVar(&key, "key", "arr_0", "array inside the .npz archive")
	}
	return cmd
}

func reportImport(w io.Writer, out string, rep *dataset.ImportReport) error {
	if rep == nil {
		return errors.New("import: no report")
	}
	var schemes []string
	for _, fr := range rep.Files {
		if len(fr.MissingLayers) > 0 {
			slog.Warn("layers without hits", "file", fr.Path, "scheme", fr.Scheme, "layers", dataset.FormatRanges(fr.MissingLayers))
		}
		schemes = append(schemes, fmt.Sprintf("%s, %d layers", fr.Scheme, fr.Layers))
	}
	if rep.Disconnected > 0 {
		slog.Info("remove_disconnected dropped hits", "hits", rep.Disconnected)
	}
	_, err := fmt.Fprintf(w, "wrote %s: %d frames, %d hits from %d entries in %d file(s) (%s); %d events, %d leftover dropped, %d hits below cluster size 2 dropped\n",
		out, rep.Frames, rep.Hits, rep.Entries, len(rep.Files), strings.Join(uniq(schemes), "; "), rep.Events, rep.LeftoverEvents, rep.SmallClusters)
	return err
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func init() {
	importCmd.AddCommand(newImportSub("gate", 0.025), newImportSub("npz", 0.025))
	rootCmd.AddCommand(importCmd)
}
