export const activate = async (..._a: unknown[]) => {}; export const deactivate = activate; export const status = activate;
