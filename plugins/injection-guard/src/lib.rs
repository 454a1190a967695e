//! injection-guard: placeholder until its issue lands.
