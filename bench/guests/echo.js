export const handler = async (event, context) => event;
