/**
 * @nerve/models: ready-made networks with torchvision's state-dict names
 * (`resnet18`, `resnet34`, `mobilenetV2`) and small ones (`mlp`, `lenet5`,
 * `vggSmall`), so torchvision weights saved as safetensors load
 * strictly with `load(model, file)`; each splits into a backbone and a head
 * (`headName`, `stages`, `replaceHead`) for finetuning.
 *
 * @module @nerve/models
 */
export { ImageClassifier, InitSource, type ModelOptions } from './classifier.js';
export { BasicBlock, ResNet, type ResNetOptions, resnet18, resnet34 } from './resnet.js';
export {
  InvertedResidual,
  MobileNetV2,
  type MobileNetV2Options,
  mobilenetV2,
} from './mobilenet.js';
export { MLP, type MlpOptions, mlp } from './mlp.js';
export { LeNet5, type LeNet5Options, lenet5 } from './lenet.js';
export { VggSmall, type VggSmallOptions, vggSmall } from './vgg.js';
