/**
 * @nerve/onnx: nerve models exported as ONNX graphs for inference anywhere
 * (onnxruntime in servers and browsers, TensorRT, OpenVINO). No Node
 * built-ins: `exportOnnx` returns the file's bytes.
 *
 * @module @nerve/onnx
 */
export {
  exportOnnx,
  registerOnnxExporter,
  ONNX_OPSETS,
  type ExportOnnxOptions,
  type OnnxStandardize,
} from './export.js';
export {
  OnnxExportContext,
  onnxExporterFor,
  type OnnxExporter,
  type OnnxValue,
  type Attributes,
} from './context.js';
export { exportLinear } from './layers.js';
