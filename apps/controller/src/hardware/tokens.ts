export const INVENTORY = Symbol('INVENTORY');
export const CONF = Symbol('CONF');
