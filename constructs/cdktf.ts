/**
 * The one module that imports CDKTF. CDK Terrain (`cdktn`) continues CDKTF with the same API
 * under another package name: supporting it is a change to this file only.
 */
export { App, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack, Testing } from 'cdktf';
