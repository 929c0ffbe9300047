import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Single-use link tokens; only the SHA-256 of the token is stored. */
export class PasswordResetToken extends Model {
  declare id: string;
  declare clientId: string;
  declare userId: string;
  declare purpose: 'reset' | 'invite';
  declare tokenHash: Buffer;
  declare expiresAt: Date;
  declare usedAt: Date | null;
  declare createdAt: Date;

  static initModel(sequelize: Sequelize): void {
    PasswordResetToken.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        purpose: { type: DataTypes.TEXT, allowNull: false },
        tokenHash: { type: DataTypes.BLOB, allowNull: false },
        expiresAt: { type: DataTypes.DATE, allowNull: false },
        usedAt: { type: DataTypes.DATE },
      },
      { sequelize, tableName: 'password_reset_tokens', underscored: true, updatedAt: false },
    );
  }
}
