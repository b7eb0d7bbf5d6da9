'use strict';

// Adds three CloudWatch alarms for EVERY function of the stage, so a function added later is
// watched without anyone remembering to: errors, throttles, and p99 duration above 80% of the
// function's own timeout (a job about to be killed by Lambda). All notify the stage's
// AlarmTopic (serverless.yml). Thresholds come from the compiled function, so they cannot
// drift from its timeout; tests/deploy checks the result in the packaged template.

const DURATION_SHARE = 0.8;
const PERIOD_SECONDS = 300;

class FunctionAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'package:compileEvents': () => this.addAlarms() };
  }

  addAlarms() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const stage = provider.getStage();
    for (const name of service.getAllFunctions()) {
      const functionId = provider.naming.getLambdaLogicalId(name);
      const compiled = resources[functionId];
      if (!compiled) continue;
      const timeoutSeconds = compiled.Properties.Timeout;
      const prefix = provider.naming.getNormalizedFunctionName(name);
      const alarm = (suffix, description, metric) => {
        resources[`${prefix}${suffix}Alarm`] = {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: `${service.service}-${stage}-${name}-${suffix.toLowerCase()}`,
            AlarmDescription: description,
            Namespace: 'AWS/Lambda',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
            Period: PERIOD_SECONDS,
            EvaluationPeriods: 1,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [{ Ref: 'AlarmTopic' }],
            OKActions: [{ Ref: 'AlarmTopic' }],
            ...metric,
          },
        };
      };
      alarm('Errors', `${name}: invocations failed`, {
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 0,
      });
      alarm('Throttles', `${name}: invocations throttled`, {
        MetricName: 'Throttles',
        Statistic: 'Sum',
        Threshold: 0,
      });
      alarm('Duration', `${name}: p99 duration above 80% of its ${timeoutSeconds} s timeout`, {
        MetricName: 'Duration',
        ExtendedStatistic: 'p99',
        Unit: 'Milliseconds',
        Threshold: Math.round(timeoutSeconds * 1000 * DURATION_SHARE),
      });
    }
  }
}

module.exports = FunctionAlarms;
