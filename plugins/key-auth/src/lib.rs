//! key-auth: placeholder until its issue lands.
