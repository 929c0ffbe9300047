import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Vendor staff roles (DESIGN.md §2): not client ranks, and never mixed with them. */
export const STAFF_ROLES = ['technical_director', 'application_developer', 'client_representative'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const STAFF_ROLE_LABELS: Record<StaffRole, string> = {
  technical_director: 'Technical Director',
  application_developer: 'Application Developer',
  client_representative: 'Client Representative',
};

export type StaffStatus = 'invited' | 'active' | 'locked' | 'deactivated';

/** A vendor staff account (migrations/0007): visible only to staff and system contexts. */
export class StaffUser extends Model {
  declare id: string;
  declare email: string;
  declare name: string;
  declare role: StaffRole;
  declare status: StaffStatus;
  declare passwordHash: string | null;
  /** AES-256-GCM ciphertext of the TOTP secret; set while enrolling too. */
  declare totpSecret: string | null;
  /** TOTP is mandatory for staff: nobody signs in until this is set. */
  declare totpEnabledAt: Date | null;
  /** The last accepted TOTP time-step (bigint, read as a string); older or equal steps are refused. */
  declare totpLastStep: string | null;
  declare failedLoginCount: number;
  declare lockedAt: Date | null;
  declare lastLoginAt: Date | null;
  declare passwordChangedAt: Date | null;
  declare sessionEpoch: number;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    StaffUser.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        email: { type: DataTypes.TEXT, allowNull: false, set(value: string) { this.setDataValue('email', value.trim().toLowerCase()); } },
        name: { type: DataTypes.TEXT, allowNull: false },
        role: { type: DataTypes.TEXT, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'invited' },
        passwordHash: { type: DataTypes.TEXT },
        totpSecret: { type: DataTypes.TEXT },
        totpEnabledAt: { type: DataTypes.DATE },
        totpLastStep: { type: DataTypes.BIGINT },
        failedLoginCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        lockedAt: { type: DataTypes.DATE },
        lastLoginAt: { type: DataTypes.DATE },
        passwordChangedAt: { type: DataTypes.DATE },
        sessionEpoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      },
      { sequelize, tableName: 'staff_users', underscored: true },
    );
  }
}
