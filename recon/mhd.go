package recon

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
)

// WriteImage writes im as a MetaImage: the header at path (".mhd"), the
// voxels as little-endian float32 beside it (".raw"), and, if meta is not
// nil, meta as indented JSON (".json"). The volume is NX × 1 × NZ voxels
// along the object's X, Y and Z (RTK's convention for a 2-D slice), with
// the slice thickness (or the pixel size, for thickness 0) as the spacing
// along Y and the offset at the centre of voxel (0, 0, 0). The files appear
// together or not at all.
func WriteImage(path string, im *Image, meta any) error {
	g := &im.Grid
	if len(im.RSP) != g.Len() {
		return fmt.Errorf("recon: image of %d values on a %d × %d grid", len(im.RSP), g.NX, g.NZ)
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	rawPath := base + ".raw"
	x0, z0 := g.Origin()
	dy := g.Thickness
	if dy == 0 {
		dy = g.Pixel
	}
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = False\n")
	fmt.Fprintf(&hdr, "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = %s %s %s\nCenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n",
		ftoa(x0), ftoa(g.Y), ftoa(z0))
	fmt.Fprintf(&hdr, "ElementSpacing = %s %s %s\nDimSize = %d 1 %d\nElementType = MET_FLOAT\nElementDataFile = %s\n",
		ftoa(g.Pixel), ftoa(dy), ftoa(g.Pixel), g.NX, g.NZ, filepath.Base(rawPath))
	raw := make([]byte, 4*len(im.RSP))
	for j, v := range im.RSP {
		binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(v))
	}
	files := []struct {
		path string
		data []byte
	}{{rawPath, raw}, {path, hdr.Bytes()}}
	if meta != nil {
		js, err := json.MarshalIndent(meta, "", "  ")
		if err != nil {
			return fmt.Errorf("recon: image metadata: %w", err)
		}
		files = append(files, struct {
			path string
			data []byte
		}{base + ".json", append(js, '\n')})
	}
	return writeAll(files)
}

// writeAll writes the files to temporary files and renames them into place
// only when all were written.
func writeAll(files []struct {
	path string
	data []byte
}) error {
	tmp := make([]*atomicfile.File, len(files))
	defer func() {
		for _, f := range tmp {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, f := range files {
		af, err := atomicfile.Create(f.path)
		if err != nil {
			return fmt.Errorf("recon: %w", err)
		}
		tmp[i] = af
		if _, err := af.Write(f.data); err != nil {
			return fmt.Errorf("recon: %s: %w", f.path, err)
		}
	}
	for i := range tmp {
		if err := tmp[i].Commit(); err != nil {
			return fmt.Errorf("recon: %w", err)
		}
	}
	return nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// MetaHeader is a parsed MetaImage header: key–value pairs in file order.
type MetaHeader struct {
	Keys   []string
	Values map[string]string
}

// ReadMetaHeader parses the text header of a MetaImage (.mhd).
func ReadMetaHeader(r io.Reader) (*MetaHeader, error) {
	h := &MetaHeader{Values: map[string]string{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("recon: MetaImage header line %q has no '='", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		h.Keys = append(h.Keys, k)
		h.Values[k] = v
		if k == "ElementDataFile" {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("recon: MetaImage header: %w", err)
	}
	return h, nil
}

// ReadImage reads a MetaImage written by WriteImage (an NX × 1 × NZ
// float32 little-endian volume with an identity transform).
func ReadImage(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recon: %w", err)
	}
	defer f.Close()
	h, err := ReadMetaHeader(f)
	if err != nil {
		return nil, fmt.Errorf("recon: %s: %w", path, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("recon: %s: %s", path, fmt.Sprintf(format, a...))
	}
	want := map[string]string{"ObjectType": "Image", "NDims": "3", "ElementType": "MET_FLOAT", "BinaryDataByteOrderMSB": "False", "CompressedData": "False"}
	for k, v := range want {
		if got := h.Values[k]; !strings.EqualFold(got, v) {
			return nil, bad("%s = %q, want %q", k, got, v)
		}
	}
	nums := func(k string, n int) ([]float64, error) {
		fs := strings.Fields(h.Values[k])
		if len(fs) != n {
			return nil, bad("%s has %d values, want %d", k, len(fs), n)
		}
		out := make([]float64, n)
		for i, s := range fs {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad("%s: %q is not a finite number", k, s)
			}
			out[i] = v
		}
		return out, nil
	}
	dim, err := nums("DimSize", 3)
	if err != nil {
		return nil, err
	}
	sp, err := nums("ElementSpacing", 3)
	if err != nil {
		return nil, err
	}
	off, err := nums("Offset", 3)
	if err != nil {
		return nil, err
	}
	if dim[1] != 1 || dim[0] < 1 || dim[2] < 1 || dim[0] != math.Trunc(dim[0]) || dim[2] != math.Trunc(dim[2]) || dim[0]*dim[2] > math.MaxInt32 {
		return nil, bad("DimSize %v is not NX 1 NZ", dim)
	}
	if sp[0] != sp[2] || !(sp[0] > 0) {
		return nil, bad("ElementSpacing %v: X and Z spacing differ or are not positive", sp)
	}
	g := Grid{NX: int(dim[0]), NZ: int(dim[2]), Pixel: sp[0], Y: off[1]}
	if sp[1] != sp[0] {
		g.Thickness = sp[1]
	}
	x0, z0 := g.Origin()
	if math.Abs(x0-off[0]) > 1e-6*sp[0] || math.Abs(z0-off[2]) > 1e-6*sp[0] {
		return nil, bad("Offset %v: the grid is not centred on the axis (want %g %g %g)", off, x0, off[1], z0)
	}
	name := h.Values["ElementDataFile"]
	if name == "" || name == "LOCAL" || strings.ContainsAny(name, "%*") {
		return nil, bad("ElementDataFile %q: want the name of a .raw file", name)
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
	if err != nil {
		return nil, fmt.Errorf("recon: %s: %w", path, err)
	}
	n := g.Len()
	if len(data) != 4*n {
		return nil, bad("%s holds %d bytes, want %d", name, len(data), 4*n)
	}
	im := &Image{Grid: g, RSP: make([]float32, n)}
	for j := range im.RSP {
		im.RSP[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
	}
	return im, nil
}

// Commit returns the VCS revision the running binary was built from, with
// "+dirty" if its tree was modified, or "unknown".
func Commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
