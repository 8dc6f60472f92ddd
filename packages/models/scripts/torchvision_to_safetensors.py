#!/usr/bin/env python3
"""Converts torchvision weights to a .safetensors file that nerve loads.

Needs only Python and torch (plus torchvision to build a model by name); no
`safetensors` package. The names, shapes and dtypes are the state dict's as
they are (BatchNorm's num_batches_tracked stays int64), which are the names
of @nerve/models' networks, so `load(resnet18(), 'resnet18.safetensors')`
loads it strictly.

    # a torchvision model's own weights (downloads them once into torch's cache)
    python3 torchvision_to_safetensors.py resnet18 resnet18.safetensors --weights DEFAULT
    # a state dict saved with torch.save (e.g. a downloaded .pth, or your finetuned model)
    python3 torchvision_to_safetensors.py --state-dict resnet18-f37072fd.pth resnet18.safetensors
    # untrained weights (no download): what the layout looks like
    python3 torchvision_to_safetensors.py mobilenet_v2 mobilenet_v2.safetensors --num-classes 10

The file follows the safetensors format (https://github.com/huggingface/safetensors#format)
and the reference writer's choices: an 8-byte little-endian header length,
compact JSON ("__metadata__" first, then the tensors in data order), padded
with spaces to a multiple of 8 bytes, then the tensors' little-endian bytes,
sorted by dtype (larger first) and then by name, without gaps.
"""

import argparse
import json
import struct
import sys

import torch

# The reference's Dtype enum order (derive(Ord)); tensors are laid out by it, descending.
DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']
DTYPE_NAME = {
    torch.bool: 'BOOL', torch.uint8: 'U8', torch.int8: 'I8', torch.int16: 'I16',
    torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int32: 'I32',
    torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64',
}
NUMPY_LE = {
    torch.bool: '|b1', torch.uint8: '|u1', torch.int8: '|i1', torch.int16: '<i2',
    torch.float16: '<f2', torch.int32: '<i4', torch.float32: '<f4', torch.float64: '<f8',
    torch.int64: '<i8',
}


def tensor_bytes(t):
    """The tensor's elements, row-major, little-endian."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype('<i2').tobytes()
    return t.numpy().astype(NUMPY_LE[t.dtype]).tobytes()


def layout(tensors, metadata=None):
    """The header (a dict, in file order) and the tensors' names in data order."""
    names = sorted(tensors)
    # A stable sort by dtype, descending, keeps the names sorted within a dtype.
    names.sort(key=lambda n: DTYPE_ORDER.index(DTYPE_NAME[tensors[n].dtype]), reverse=True)
    header = {}
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for n in names:
        t = tensors[n]
        size = t.numel() * t.element_size()
        header[n] = {'dtype': DTYPE_NAME[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + size]}
        offset += size
    return header, names


def header_bytes(header):
    """The header as the file stores it: compact UTF-8 JSON padded with spaces to 8 bytes."""
    h = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    return h + b' ' * ((8 - len(h) % 8) % 8)


def save_file(tensors, path, metadata=None):
    """Writes `tensors` (name -> torch tensor) to `path` as safetensors."""
    header, names = layout(tensors, metadata)
    h = header_bytes(header)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for n in names:
            f.write(tensor_bytes(tensors[n]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('model', nargs='?', help='a torchvision.models builder: resnet18, resnet34, mobilenet_v2, ...')
    p.add_argument('out', help='the .safetensors file to write')
    p.add_argument('--weights', help="torchvision weights to load, e.g. DEFAULT or IMAGENET1K_V1 (default: untrained)")
    p.add_argument('--num-classes', type=int, help='the head size of an untrained model (default 1000)')
    p.add_argument('--state-dict', help='convert this torch.save()d state dict instead of building a model')
    a = p.parse_args(argv)
    if a.state_dict:
        sd = torch.load(a.state_dict, map_location='cpu')
        sd = sd.get('state_dict', sd) if isinstance(sd, dict) else sd.state_dict()
        source = a.state_dict
    else:
        if not a.model:
            p.error('name a model or give --state-dict')
        import torchvision
        kwargs = {} if a.num_classes is None else {'num_classes': a.num_classes}
        model = getattr(torchvision.models, a.model)(weights=a.weights, **kwargs)
        sd = model.state_dict()
        source = f'torchvision {torchvision.__version__} {a.model} weights={a.weights}'
    tensors = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    save_file(tensors, a.out, {'format': 'pt', 'source': source})
    total = sum(t.numel() for t in tensors.values())
    print(f'{a.out}: {len(tensors)} tensors, {total} values, from {source}', file=sys.stderr)


if __name__ == '__main__':
    main()
