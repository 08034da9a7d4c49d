#!/usr/bin/python3
"""Writes the small reader fixtures under test/fixtures/ with independent writers (python tifffile, Pillow, zarr 2.13,
nibabel, pydicom), so the TypeScript readers are tested on files this project did not write.

Run once (Debian: apt-get install -y python3-tifffile python3-zarr python3-numpy python3-nibabel python3-pydicom
python3-pil), then commit the outputs; CI does not need python.

    /usr/bin/python3 scripts/make-fixtures.py [writer ...]   # e.g. unitless_ome; all when none is named

Every volume holds values from a formula the tests recompute (test/ingest/fixture-values.ts), so they compare voxel by
voxel without storing expected arrays.
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np
import tifffile
import zarr
import nibabel
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from numcodecs import Blosc, GZip
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def v16(shape):
    z, y, x = np.indices(shape, dtype=np.int64)
    return ((z * 7919 + y * 613 + x * 97 + 12345) % 65536).astype(np.uint16)


def v8(shape):
    z, y, x = np.indices(shape, dtype=np.int64)
    return ((z * 31 + y * 7 + x * 3) % 256).astype(np.uint8)


def fresh(*parts):
    path = os.path.join(ROOT, *parts)
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def tiffs():
    # Vesuvius-style slice stack, 16-bit, deflate with horizontal predictor, several strips per slice, + meta.json
    d = fresh('tiff', 'stack16-deflate')
    os.makedirs(d)
    vol = v16((4, 20, 24))
    for z in range(4):
        tifffile.imwrite(os.path.join(d, '%05d.tif' % z), vol[z], compression='zlib', predictor=True, rowsperstrip=7)
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump({'uuid': 'stack16', 'name': 'stack16', 'width': 24, 'height': 20, 'slices': 4,
                   'voxelsize': 7.91, 'min': 0, 'max': 65535, 'format': 'tif', 'energy': 54}, f)
    # 8-bit LZW slices from Pillow (another encoder)
    d = fresh('tiff', 'stack8-lzw')
    os.makedirs(d)
    vol = v8((3, 20, 24))
    for z in range(3):
        Image.fromarray(vol[z]).save(os.path.join(d, 'slice_%d.tif' % (z + 8)), compression='tiff_lzw')
    # PackBits single page (Pillow)
    Image.fromarray(v8((1, 20, 24))[0]).save(fresh('tiff', 'packbits8.tif'), compression='packbits')
    # multi-page, big-endian, uncompressed 16-bit
    tifffile.imwrite(fresh('tiff', 'multipage16-be.tif'), v16((3, 20, 24)), byteorder='>', photometric='minisblack')
    # tiled (16x16 tiles over 36x40), deflate, 2 pages
    tifffile.imwrite(fresh('tiff', 'tiled16.tif'), v16((2, 36, 40)), tile=(16, 16), compression='zlib', photometric='minisblack')
    # BigTIFF, 8-bit, 2 pages
    tifffile.imwrite(fresh('tiff', 'bigtiff8.tif'), v8((2, 20, 24)), bigtiff=True, photometric='minisblack')
    # 20 pages (more than the reader keeps strip tables for), deflate, 2 rows per strip
    tifffile.imwrite(fresh('tiff', 'pages20-u8.tif'), v8((20, 6, 5)), compression='zlib', rowsperstrip=2, photometric='minisblack')
    # float32: an unsupported dtype
    tifffile.imwrite(fresh('tiff', 'float32.tif'), np.ones((4, 5), dtype=np.float32))


def zarrs():
    zarr.storage.default_compressor = Blosc()
    a = zarr.open(fresh('zarr', 'v2-blosc-u16.zarr'), mode='w', shape=(6, 20, 24), chunks=(4, 8, 8), dtype='<u2',
                  compressor=Blosc(cname='lz4', clevel=5, shuffle=Blosc.SHUFFLE), fill_value=0)
    a[:] = v16((6, 20, 24))
    b = zarr.open(fresh('zarr', 'v2-gzip-u8.zarr'), mode='w', shape=(6, 20, 24), chunks=(4, 8, 8), dtype='u1',
                  compressor=GZip(level=5), fill_value=7)
    b[:] = v8((6, 20, 24))
    c = zarr.open(fresh('zarr', 'v2-f8.zarr'), mode='w', shape=(2, 3, 4), chunks=(2, 3, 4), dtype='<f8')
    c[:] = 1.5
    # OME-Zarr (NGFF 0.4) multiscales, 2 levels, with the sample generator's `aunn` key
    g = zarr.open_group(fresh('zarr', 'ome-u8.zarr'), mode='w')
    level0 = v8((6, 20, 24))
    g.create_dataset('0', data=level0, chunks=(4, 8, 8), compressor=Blosc(cname='zstd', clevel=3))
    g.create_dataset('1', data=level0[::2, ::2, ::2], chunks=(4, 8, 8), compressor=Blosc(cname='zstd', clevel=3))
    g.attrs['multiscales'] = [{
        'version': '0.4', 'name': 'ome-u8',
        'axes': [{'name': a, 'type': 'space', 'unit': 'micrometer'} for a in 'zyx'],
        'datasets': [
            {'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [3.24, 3.24, 3.24]}]},
            {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [6.48, 6.48, 6.48]}]},
        ],
    }]
    g.attrs['aunn'] = {'affineToScanA': [2, 0, 0, 1, 0, 2, 0, 2, 0, 0, 2, 3, 0, 0, 0, 1], 'energyKeV': 70}


def unitless_ome():
    # scroll2zarr's layout: OME-Zarr multiscales whose scale has no unit ([1,1,1], [2,2,2]: level-0 voxels), written
    # as a volpkg volume folder with the Vesuvius meta.json inside it (VC3D), and once bare, without a meta.json.
    for name, meta in [(('zarr', 'unitless', '20230205180739'), True), (('zarr', 'unitless-bare.zarr'), False)]:
        g = zarr.open_group(fresh(*name), mode='w')
        level0 = v16((6, 20, 24))
        g.create_dataset('0', data=level0, chunks=(4, 8, 8), compressor=Blosc(cname='zstd', clevel=3))
        g.create_dataset('1', data=level0[::2, ::2, ::2], chunks=(4, 8, 8), compressor=Blosc(cname='zstd', clevel=3))
        g.attrs['multiscales'] = [{
            'version': '0.4', 'name': name[-1],
            'axes': [{'name': a, 'type': 'space'} for a in 'zyx'],
            'datasets': [
                {'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0, 1.0, 1.0]}]},
                {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [2.0, 2.0, 2.0]}]},
            ],
        }]
        if meta:
            with open(os.path.join(ROOT, *name, 'meta.json'), 'w') as f:
                json.dump({'uuid': name[-1], 'name': name[-1], 'type': 'vol', 'width': 24, 'height': 20, 'slices': 6,
                           'voxelsize': 7.91, 'min': 0.0, 'max': 65535.0, 'format': 'zarr'}, f)


def surface_volume_zarr():
    # A fragment's surface volume as the Vesuvius data server keeps it: zarr v2, shape (H, W, 65), one chunk per
    # layer (chunks (H, W, 1) here, (1024, 1024, 1) there). Voxel (y, x, layer) holds v8(layer, y, x).
    layers = v8((65, 140, 136))
    a = zarr.open(fresh('zarr', 'surface-volume.zarr'), mode='w', shape=(140, 136, 65), chunks=(140, 136, 1),
                  dtype='u1', compressor=Blosc(cname='zstd', clevel=3))
    a[:] = np.ascontiguousarray(layers.transpose(1, 2, 0))


def nifti():
    vol = v16((6, 20, 24))  # z, y, x
    img = nibabel.Nifti1Image(np.ascontiguousarray(vol.transpose(2, 1, 0)), affine=np.diag([0.01, 0.01, 0.02, 1.0]))
    img.header.set_xyzt_units('mm')
    nibabel.save(img, fresh('nifti', 'nibabel-u16.nii.gz'))


def dicom():
    d = fresh('dicom', 'series')
    os.makedirs(d)
    vol = v16((3, 12, 16))
    series = generate_uid(prefix='1.2.826.0.1.3680043.8.498.1.')
    study = generate_uid(prefix='1.2.826.0.1.3680043.8.498.2.')
    frame = generate_uid(prefix='1.2.826.0.1.3680043.8.498.3.')
    for z in range(3):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'  # CT Image Storage
        meta.MediaStorageSOPInstanceUID = generate_uid(prefix='1.2.826.0.1.3680043.8.498.4.')
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b'\0' * 128)
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = 'CT'
        ds.PatientName = 'Scroll^Fixture'
        ds.PatientID = 'fixture'
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame
        ds.InstanceNumber = z + 1
        ds.ImagePositionPatient = [0.0, 0.0, 2.0 * z]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [0.5, 0.25]  # row spacing (y), column spacing (x), mm
        ds.SliceThickness = 2.0
        ds.Rows, ds.Columns = 12, 16
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = 'MONOCHROME2'
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.RescaleIntercept = 0
        ds.RescaleSlope = 1
        ds.PixelData = vol[z].tobytes()
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        # written in reverse order of names, so the reader must sort by position, not by file name
        ds.save_as(os.path.join(d, 'IM%04d.dcm' % (3 - z)), write_like_original=False)


def segment():
    seg = '20230101000000'
    d = fresh('segment', seg)
    os.makedirs(os.path.join(d, 'layers'))
    layers = np.zeros((65, 8, 10), dtype=np.uint16)
    z, y, x = np.indices(layers.shape)
    layers[:] = (z * 1000 + y * 10 + x) % 65536
    for i in range(65):
        tifffile.imwrite(os.path.join(d, 'layers', '%02d.tif' % i), layers[i])
    ink = np.zeros((8, 10), dtype=np.uint8)
    ink[2:5, 3:7] = 255
    ink[6, 1] = 200   # > 127: ink
    ink[6, 2] = 100   # <= 127: no ink
    Image.fromarray(ink).save(os.path.join(d, seg + '_inklabels.png'))
    mask = np.zeros((8, 10), dtype=np.uint8)
    mask[:, :6] = 255
    Image.fromarray(mask).save(os.path.join(d, seg + '_mask.png'))
    with open(os.path.join(d, seg + '.obj'), 'w') as f:
        f.write('# fixture mesh\n')
        for (vx, vy, vz, u, v) in [(10, 20, 30, 0, 0), (19, 20, 30, 1, 0), (19, 27, 31, 1, 1), (10, 27, 31, 0, 1)]:
            f.write('v %d %d %d\n' % (vx, vy, vz))
        for (u, v) in [(0, 0), (1, 0), (1, 1), (0, 1)]:
            f.write('vt %d %d\n' % (u, v))
        f.write('f 1/1 2/2 3/3\nf 1/1 3/3 4/4\n')
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump({'type': 'seg', 'uuid': seg, 'name': seg, 'volume': '20230205180739', 'format': 'obj'}, f)


def fragment_ir():
    # A fragment's infrared photograph (ir.png beside surface_volume/): 8-bit grey on the segment fixture's 10x8
    # grid, ink dark where the segment's labels say ink.
    d = fresh('segment', 'ir', 'ir.png')
    y, x = np.indices((8, 10))
    ir = (120 + 5 * y + 3 * x).astype(np.uint8)
    ir[2:5, 3:7] = 20 + x[2:5, 3:7]
    Image.fromarray(ir).save(d)


def set_predictor(file, predictor):
    # tifffile (without imagecodecs) writes no predictor for floats: the data is differenced here, written with a
    # stand-in tag 316 (HostComputer, just below Predictor 317 so the directory stays sorted), renamed to 317 here.
    with open(file, 'r+b') as f:
        head = f.read(8)
        assert head[:4] == b'II*\0'
        ifd = struct.unpack('<I', head[4:8])[0]
        f.seek(ifd)
        count = struct.unpack('<H', f.read(2))[0]
        for e in range(count):
            f.seek(ifd + 2 + 12 * e)
            code, typ, n, value = struct.unpack('<HHII', f.read(12))
            if code == 316:
                f.seek(ifd + 2 + 12 * e)
                f.write(struct.pack('<HHIHH', 317, 3, 1, predictor, 0))
                return
    raise AssertionError('no stand-in tag 316 in ' + file)


def tifxyz():
    # A VC3D tifxyz surface: a tilted plane on a 9x7 grid at scale 0.5 (a vertex every 2 voxels), written the ways
    # VC3D and tifffile write float32 grids (deflate + horizontal predictor on 32-bit words and tiled; the
    # floating-point predictor in strips; uncompressed big-endian), with invalid vertices (-1 -1 -1; z = 0; masked),
    # a uint8 scan whose values are linear in x, y, z (trilinear sampling is exact), and the 65 layers expected,
    # computed here from the plane itself: pixel i at grid column cols/2 + s (i - (W-1)/2), layer k at
    # P + (k - 32) n, n = unit (column direction x row direction), 0 outside the scan or where a vertex with a weight
    # is invalid; -1 where a sample lies within 1e-6 of the scan's border (either answer is right). The second
    # expectation is for the scan ingested as the box z 8:48, y 4:40, x 2:44 (a region, corner subtracted).
    d = fresh('tifxyz')
    seg = os.path.join(d, 'w01')
    os.makedirs(seg)
    rows, cols, s = 7, 9, 0.5
    O = np.array([12.0, 10.0, 24.0])
    A = np.array([2.0, 0.25, 0.5])     # per grid column
    B = np.array([0.25, 2.0, -0.5])    # per grid row
    r, c = np.indices((rows, cols), dtype=np.float64)
    P = (O + c[..., None] * A + r[..., None] * B).astype(np.float32)
    P[3, 4] = -1.0
    P[6, 0, 2] = 0.0
    mask = np.full((rows, cols), 255, dtype=np.uint8)
    mask[5, 2] = 0
    mask[1, 6] = 128
    # x.tif: deflate, horizontal predictor on the words (as libtiff does for VC3D's float32), 16x16 tiles
    words = P[..., 0].view(np.uint32).astype(np.int64)
    words[:, 1:] = (words[:, 1:] - words[:, :-1]) % (1 << 32)
    tifffile.imwrite(os.path.join(seg, 'x.tif'), words.astype(np.uint32).view(np.float32), byteorder='<',
                     compression='zlib', tile=(16, 16), extratags=[(316, 'H', 1, 2, False)])
    set_predictor(os.path.join(seg, 'x.tif'), 2)
    # y.tif: deflate, floating-point predictor (byte planes, most significant first, byte-differenced), 3 rows a strip
    be = P[..., 1].astype('>f4').view(np.uint8).reshape(rows, cols, 4)
    planes = be.transpose(0, 2, 1).reshape(rows, 4 * cols).astype(np.int64)
    planes[:, 1:] = (planes[:, 1:] - planes[:, :-1]) % 256
    tifffile.imwrite(os.path.join(seg, 'y.tif'), planes.astype(np.uint8).view('<f4'), byteorder='<',
                     compression='zlib', rowsperstrip=3, extratags=[(316, 'H', 1, 3, False)])
    set_predictor(os.path.join(seg, 'y.tif'), 3)
    # z.tif: uncompressed, big-endian
    tifffile.imwrite(os.path.join(seg, 'z.tif'), P[..., 2].astype('>f4'), byteorder='>')
    tifffile.imwrite(os.path.join(seg, 'mask.tif'), mask)
    with open(os.path.join(seg, 'meta.json'), 'w') as f:
        json.dump({'type': 'seg', 'uuid': 'w01', 'format': 'tifxyz', 'scale': [s, s]}, f)

    D, Y, X = 48, 40, 44
    z, y, x = np.indices((D, Y, X))
    scan = (x + 2 * y + 2 * z + 3).astype(np.uint8)
    tifffile.imwrite(os.path.join(d, 'scan-u8.tif'), scan, compression='zlib')

    valid = (P[..., 2] > 0) & (mask >= 255)
    W, H = int(round(cols / s)), int(round(rows / s))
    n = np.cross(A, B)
    n /= np.linalg.norm(n)

    def grid(count, size, i):
        g = min(count - 1.0, max(0.0, count / 2 + s * (i - (size - 1) / 2)))
        g0 = min(int(np.floor(g)), count - 2)
        return g, g0, g - g0

    def expect(low, high):
        # low/high: the scan's first and last voxel (x, y, z) in full-scan coordinates
        low, high = np.array(low, dtype=np.float64), np.array(high, dtype=np.float64)
        out = np.zeros((65, H, W), dtype=np.int16)
        for j in range(H):
            v, r0, fv = grid(rows, H, j)
            for i in range(W):
                u, c0, fu = grid(cols, W, i)
                corners = [(r0, c0, (1 - fu) * (1 - fv)), (r0, c0 + 1, fu * (1 - fv)),
                           (r0 + 1, c0, (1 - fu) * fv), (r0 + 1, c0 + 1, fu * fv)]
                if any(w > 0 and not valid[rr, cc] for rr, cc, w in corners):
                    continue
                p = O + u * A + v * B
                for k in range(65):
                    q = p + (k - 32) * n
                    if np.any(np.abs(q - low) < 1e-6) or np.any(np.abs(q - high) < 1e-6):
                        out[k, j, i] = -1
                    elif np.all(q >= low) and np.all(q <= high):
                        out[k, j, i] = int(np.floor(q[0] + 2 * q[1] + 2 * q[2] + 3 + 0.5))
        return out

    np.save(os.path.join(d, 'w01-expected-layers.npy'), expect([0, 0, 0], [X - 1, Y - 1, D - 1]))
    np.save(os.path.join(d, 'w01-expected-layers-crop.npy'), expect([2, 4, 8], [X - 1, Y - 1, D - 1]))


def zarr_layouts():
    # Chunk layouts the chunk-by-chunk reader must get right or hand back: Fortran order (read through the general
    # selection), and the hosted Vesuvius layout (blosc zstd shuffle 0, '/' keys) with edge chunks on every axis.
    a = zarr.open(fresh('zarr', 'v2-forder-u16.zarr'), mode='w', shape=(5, 9, 11), chunks=(2, 4, 4), dtype='<u2',
                  order='F', compressor=Blosc(cname='zstd', clevel=3, shuffle=Blosc.SHUFFLE), fill_value=0)
    a[:] = v16((5, 9, 11))
    b = zarr.open(fresh('zarr', 'v2-hosted-u8.zarr'), mode='w', shape=(7, 13, 10), chunks=(4, 4, 4), dtype='u1',
                  compressor=Blosc(cname='zstd', clevel=3, shuffle=0), fill_value=0, dimension_separator='/')
    b[:] = v8((7, 13, 10))


def blosc_frames():
    # Blosc 1.x frames as numcodecs writes them, one per layout the decoder must handle: zstd with and without byte
    # shuffle, a leftover block, bit shuffle and lz4 (decoded by numcodecs' own blosc), stored uncompressed (clevel 0),
    # and noise blocks stored as they are. Values: v16 / v8 of a (1, 1, n) volume.
    d = fresh('blosc', 'frames.json')
    os.makedirs(os.path.dirname(d), exist_ok=True)
    cases = [
        ('zstd-noshuffle-u8', 'zstd', 3, Blosc.NOSHUFFLE, 'u1', 20000, 4096),
        ('zstd-shuffle-u16', 'zstd', 3, Blosc.SHUFFLE, 'u2', 12000, 0),
        ('zstd-shuffle-u16-leftover', 'zstd', 5, Blosc.SHUFFLE, 'u2', 10001, 4096),
        ('zstd-bitshuffle-u16', 'zstd', 3, Blosc.BITSHUFFLE, 'u2', 6000, 0),
        ('lz4-shuffle-u16', 'lz4', 5, Blosc.SHUFFLE, 'u2', 6000, 0),
        ('zstd-clevel0-u8', 'zstd', 0, Blosc.NOSHUFFLE, 'u1', 3000, 0),
        ('zstd-noise-u8', 'zstd', 1, Blosc.NOSHUFFLE, 'u1', 16384, 4096),
    ]
    index = []
    for (name, cname, clevel, shuffle, dtype, n, blocksize) in cases:
        if name.endswith('noise-u8'):
            # half smooth, half noise: the noise blocks are stored as they are inside a compressed frame
            values = np.concatenate([v8((1, 1, n // 2)).reshape(-1),
                                     np.random.default_rng(5).integers(0, 256, n - n // 2, dtype=np.uint8)])
        else:
            values = (v16 if dtype == 'u2' else v8)((1, 1, n)).reshape(-1)
        frame = Blosc(cname=cname, clevel=clevel, shuffle=shuffle, blocksize=blocksize).encode(values)
        with open(os.path.join(os.path.dirname(d), name + '.blosc'), 'wb') as f:
            f.write(frame)
        if name.endswith('noise-u8'):
            values.tofile(os.path.join(os.path.dirname(d), name + '.raw'))
        index.append({'name': name, 'dtype': dtype, 'count': n, 'bytes': int(values.nbytes), 'flags': frame[2]})
    with open(d, 'w') as f:
        json.dump(index, f, indent=1)


if __name__ == '__main__':
    import sys
    # With names (e.g. `unitless_ome`), only those writers run: the other committed fixtures stay byte for byte.
    writers = {f.__name__: f for f in [tiffs, zarrs, unitless_ome, surface_volume_zarr, nifti, dicom, segment, fragment_ir, tifxyz, blosc_frames, zarr_layouts]}
    for name in sys.argv[1:] or list(writers):
        writers[name]()
    print('fixtures written under', os.path.normpath(ROOT))
