/** Password hashing (src/adapters/argon2): slow on purpose, salted, in a self-describing string form. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password, and for a hash it cannot read. */
  verify(hash: string, password: string): Promise<boolean>;
}
