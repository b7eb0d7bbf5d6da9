'use strict';

// Refuses to package or deploy a stage whose `params` still hold a placeholder (REPLACE_ME...).
// A half-configured stage would otherwise deploy silently and, for example, get a JWT
// authorizer that rejects every request. The parameters are resolved the way the framework
// resolves `${param:...}`: `--param="key=value"` on the command line, then the stage's block,
// then `default`. tests/deploy checks both the refusal and the explicit test parameters.

const PLACEHOLDER = /REPLACE_?ME/i;

function effectiveParams(serverless, stage) {
  const input = (serverless.configurationInput && serverless.configurationInput.params) || {};
  const params = { ...(input.default || {}), ...(input[stage] || {}) };
  const cli = (serverless.processedInput && serverless.processedInput.options.param) || [];
  for (const item of cli) {
    const match = /^([^=]+)=(.*)$/.exec(item);
    if (match) params[match[1]] = match[2];
  }
  return params;
}

function holdsPlaceholder(value) {
  if (typeof value === 'string') return PLACEHOLDER.test(value);
  if (Array.isArray(value)) return value.some(holdsPlaceholder);
  if (value && typeof value === 'object') return Object.values(value).some(holdsPlaceholder);
  return false;
}

class StageParameters {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    const check = () => this.check();
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:deploy': check,
      'before:deploy:function:initialize': check,
    };
  }

  check() {
    const stage = this.serverless.service.provider.stage;
    const params = effectiveParams(this.serverless, stage);
    const names = Object.keys(params).filter((name) => holdsPlaceholder(params[name]));
    if (names.length) {
      throw new this.serverless.classes.Error(
        `Stage "${stage}" has placeholder parameters: ${names.sort().join(', ')} ` +
          '(set them in serverless.yml params or pass --param="name=value"; docs/deploy.md)'
      );
    }
  }
}

module.exports = StageParameters;
