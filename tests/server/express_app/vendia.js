const serverlessExpress = require("@codegenie/serverless-express");
exports.handler = serverlessExpress({ app: require("./app")(require("express")) });
