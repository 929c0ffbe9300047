import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Highest first; a rank's index is its seniority (DESIGN.md §2). */
export const RANKS = ['administrator', 'executive', 'director', 'manager', 'associate'] as const;
export type Rank = (typeof RANKS)[number];
export const RANK_LABELS: Record<Rank, string> = {
  administrator: 'Administrator',
  executive: 'Executive',
  director: 'Director',
  manager: 'Manager',
  associate: 'Associate',
};

export type UserStatus = 'invited' | 'active' | 'locked' | 'deactivated';

export class User extends Model {
  declare id: string;
  declare clientId: string;
  declare email: string;
  declare name: string;
  declare passwordHash: string | null;
  declare rank: Rank;
  declare status: UserStatus;
  declare failedLoginCount: number;
  declare lockedAt: Date | null;
  declare lastLoginAt: Date | null;
  declare passwordChangedAt: Date | null;
  /** Bumped when every existing session of the user must end (password change or reset). */
  declare sessionEpoch: number;
  /** AES-256-GCM ciphertext of the TOTP secret (lib/secret-box.ts); set while enrolling too. */
  declare totpSecret: string | null;
  /** Two-factor sign-in is on when this is set. */
  declare totpEnabledAt: Date | null;
  /** The last accepted TOTP time-step (bigint, read as a string); older or equal steps are refused. */
  declare totpLastStep: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    User.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        email: { type: DataTypes.TEXT, allowNull: false, set(value: string) { this.setDataValue('email', value.trim().toLowerCase()); } },
        name: { type: DataTypes.TEXT, allowNull: false },
        passwordHash: { type: DataTypes.TEXT },
        rank: { type: DataTypes.TEXT, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'invited' },
        failedLoginCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        lockedAt: { type: DataTypes.DATE },
        lastLoginAt: { type: DataTypes.DATE },
        passwordChangedAt: { type: DataTypes.DATE },
        sessionEpoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        totpSecret: { type: DataTypes.TEXT },
        totpEnabledAt: { type: DataTypes.DATE },
        totpLastStep: { type: DataTypes.BIGINT },
      },
      { sequelize, tableName: 'users', underscored: true },
    );
  }
}
