/**
 * @nerve/models: ready-made networks with torchvision's state-dict names
 * (`resnet18`, `resnet34`), so torchvision weights saved as safetensors load
 * strictly with `load(model, file)`; each splits into a backbone and a head
 * (`headName`, `stages`, `replaceHead`) for finetuning.
 *
 * @module @nerve/models
 */
export { ImageClassifier, type ModelOptions } from './classifier.js';
export { BasicBlock, ResNet, type ResNetOptions, resnet18, resnet34 } from './resnet.js';
