/** The DPU profile as loaded at start (the inventory's mlxconfig knobs). */
export const DPU_PROFILE = Symbol('DPU_PROFILE');
