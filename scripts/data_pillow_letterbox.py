#!/usr/bin/python3
"""Reference letterbox with Pillow (Debian's python3-pil), run by /usr/bin/python3.

  data_pillow_letterbox.py pad IN SIZE OUT.raw     one image -> SIZE x SIZE x 3 raw RGB bytes
  data_pillow_letterbox.py folder DIR SIZE OUT.bin every image below DIR (sorted), letterboxed,
                                                   appended to one file; prints the count

The padding is ImageOps.pad (bicubic, black, centred), as the reference project prepared its
images; the folder mode is the Pillow side of `tim bench data`.
"""
import os
import sys

from PIL import Image, ImageOps


def letterbox(path, size):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        rgb = im.convert("RGB")
    return ImageOps.pad(rgb, (size, size), method=Image.BICUBIC, color=(0, 0, 0), centering=(0.5, 0.5))


def main(argv):
    if len(argv) == 4 and argv[0] == "pad":
        src, size, out = argv[1], int(argv[2]), argv[3]
        with open(out, "wb") as f:
            f.write(letterbox(src, size).tobytes())
        return 0
    if len(argv) == 4 and argv[0] == "folder":
        root, size, out = argv[1], int(argv[2]), argv[3]
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files.extend(os.path.join(dirpath, n) for n in sorted(filenames) if not n.startswith("."))
        with open(out, "wb") as f:
            for path in files:
                f.write(letterbox(path, size).tobytes())
        print(len(files))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
