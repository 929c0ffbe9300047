import { DataTypes, Model, type Sequelize } from 'sequelize';

export class Client extends Model {
  declare id: string;
  declare name: string;
  declare timeZone: string;
  declare status: 'active' | 'suspended';
  declare settings: Record<string, unknown>;
  /** The vendor's Client Representative for this client (staff_users.id). */
  declare representativeId: string | null;
  /** The client's Administrators approve each support session before it starts. */
  declare supportApprovalRequired: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    Client.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.TEXT, allowNull: false },
        timeZone: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'UTC' },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'active' },
        settings: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        representativeId: { type: DataTypes.UUID },
        supportApprovalRequired: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      },
      { sequelize, tableName: 'clients', underscored: true },
    );
  }
}
